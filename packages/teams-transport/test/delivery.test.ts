import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TransportErrorEvent } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import { VERB } from '../src/index.js';
import {
  BOB,
  cardText,
  currentCard,
  DAN,
  type Harness,
  hasButtons,
  listen,
  nextDelivered,
  setup,
} from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Moves the test clock a second at a time, letting real HTTP round trips finish in between. */
async function advanceUntil(done: () => boolean, maxSeconds: number): Promise<void> {
  for (let i = 0; i < maxSeconds && !done(); i++) {
    await h.clock.advance(1_000);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe('delivery failures fail closed', () => {
  test.each<[string, Parameters<typeof setup>[0], string]>([
    ['a wrong client secret', { transport: { appPassword: 'wrong-secret-value' } }, 'invalid_client'],
    ['an unknown app id', { transport: { appId: 'not-this-app' } }, 'unauthorized_client'],
    [
      'a conversation that does not exist',
      { transport: { conversationId: '19:nowhere@thread.tacv2' } },
      'not_found',
    ],
  ])('%s surfaces as a delivery failure and the request is cancelled', async (_, options, code) => {
    h = await setup(options);
    const error = await h.ask().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'delivery_failed' });
    expect(String((error as Error).message)).toContain(code);
    expect(String((error as Error).message)).not.toContain('wrong-secret-value');
    expect((await h.cs.audit.entries()).map((e) => e.type)).toEqual([
      'requested',
      'delivery_failed',
      'cancelled',
    ]);
  });

  test.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [500, 'http_500'],
  ])('a connector %i fails the delivery closed (%s)', async (status, code) => {
    h = await setup();
    h.teams.failNext('post', { status });
    const error = await h.ask().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'delivery_failed' });
    expect(String((error as Error).message)).toContain(code);
    expect(h.teams.activities).toHaveLength(0);
  });

  test('the token is fetched once and reused until shortly before it expires', async () => {
    h = await setup();
    await h.ask();
    await h.ask({ table: 'orders' }, { sessionId: 's2' });
    const tokens = () => h.teams.calls.filter((c) => c.route === 'token' && c.status === 200).length;
    expect(tokens()).toBe(1);
    await h.clock.advance(3_600_000 - 5 * 60_000);
    await h.ask({ table: 'invoices' }, { sessionId: 's3' });
    expect(tokens()).toBe(2);
  });
});

describe('the serviceUrl allow-list', () => {
  test('a serviceUrl outside the allow-list is a configuration error', async () => {
    h = await setup();
    const { createTeamsTransport } = await import('../src/index.js');
    expect(() =>
      createTeamsTransport({
        appId: 'a',
        appPassword: 'p',
        tenantId: 't',
        conversationId: 'c',
        serviceUrl: 'https://smba.trafficmanager.net.evil.example/teams/',
      }),
    ).toThrow(/not on allowedServiceOrigins/);
  });

  test('an update whose receipt points elsewhere never sends the token there', async () => {
    h = await setup();
    const seen: string[] = [];
    const trap = await listen(
      createServer((req, res) => {
        seen.push(String(req.headers.authorization));
        res.end('{}');
      }),
    );
    const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/teams/`;
    try {
      const asked = await h.ask();
      const receipt = {
        transport: 'teams',
        at: h.clock.now(),
        ref: { serviceUrl: trapUrl, conversationId: h.teams.conversationId, activityId: asked.activityId },
      };
      const error = await h.transport
        .update({ ...asked.request, version: asked.request.version + 1 }, receipt)
        .catch((e: unknown) => e);
      expect(String(error)).toContain('service_url_not_allowed');
      expect(seen).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => trap.close(() => resolve()));
    }
  });

  test('allowed origins must be bare origins', async () => {
    h = await setup();
    const { createTeamsTransport } = await import('../src/index.js');
    expect(() =>
      createTeamsTransport({
        appId: 'a',
        appPassword: 'p',
        tenantId: 't',
        conversationId: 'c',
        serviceUrl: 'https://smba.trafficmanager.net/teams/',
        allowedServiceOrigins: ['https://smba.trafficmanager.net/teams/'],
      }),
    ).toThrow(/must be an origin/);
  });
});

describe('rate limits', () => {
  test('429s are waited out with Retry-After while the request lives; one card is posted', async () => {
    h = await setup();
    h.teams.rateLimit('post', { times: 3, retryAfterSeconds: 2 });
    let seen = false;
    void nextDelivered(h.cs).then(() => {
      seen = true;
    });
    const asked = h.ask();
    await advanceUntil(() => seen, 30);
    const { request } = await asked;
    expect(request.deliveries).toHaveLength(1);
    const posts = h.teams.calls.filter((c) => c.route === 'post');
    expect(posts.map((c) => c.status)).toEqual([429, 429, 429, 201]);
    expect(posts[3]!.at - posts[0]!.at).toBeGreaterThanOrEqual(6_000);
    expect(h.teams.activities).toHaveLength(1);
  });

  test('a 429 storm longer than the request lives gives up before the deadline and fails closed', async () => {
    h = await setup({
      countersign: {
        policy: [
          {
            id: 'storm',
            match: { action: 'db.export' },
            effect: 'require_approval',
            approvers: { users: ['teams:x:y'] },
            requestTtl: '20s',
          },
        ],
      },
    });
    h.teams.rateLimit('post', { times: 1_000, retryAfterSeconds: 4 });
    let failure: unknown = null;
    const asked = h.ask().catch((e: unknown) => {
      failure = e;
    });
    await advanceUntil(() => failure !== null, 30);
    await asked;
    expect(failure).toMatchObject({ code: 'delivery_failed' });
    expect(String((failure as Error).message)).toContain('rate_limited');
    const posts = h.teams.calls.filter((c) => c.route === 'post');
    expect(posts.length).toBeLessThanOrEqual(5);
    expect(posts.every((c) => c.status === 429)).toBe(true);
  });

  test('updates wait out 429s too; the invoke is answered within its budget meanwhile', async () => {
    h = await setup({ transport: { invokeBudgetMs: 200 } });
    const asked = await h.ask();
    h.teams.rateLimit('update', { times: 2, retryAfterSeconds: 1 });
    const click = await h.teams.click({ user: BOB, activityId: asked.activityId, verb: VERB.Approve });
    expect(click.problems).toEqual([]);
    expect(cardText(click.card)).toContain('You approved');
    await advanceUntil(() => cardText(currentCard(h.teams, asked.activityId)).includes('1 of 2'), 30);
    const updates = h.teams.calls.filter((c) => c.route === 'update').map((c) => c.status);
    expect(updates.slice(0, 3)).toEqual([429, 429, 200]);
    expect(updates.every((s) => s === 429 || s === 200)).toBe(true);
  });
});

describe('a failed update never changes a decision', () => {
  test('the update after an approval fails: the vote stands, the clicker still gets the card, core reports it', async () => {
    h = await setup();
    const errors: TransportErrorEvent[] = [];
    h.cs.on('transport_error', (event) => errors.push(event));
    const asked = await h.ask();
    h.teams.failNext('update', { status: 500 });
    const result = await h.teams.click({ user: BOB, activityId: asked.activityId, verb: VERB.Approve });
    expect(result.status).toBe(200);
    expect(cardText(result.card)).toContain('You approved');
    await waitFor(() => errors.length > 0);
    expect((await h.cs.getRequest(asked.request.id))?.decisions).toHaveLength(1);

    h.teams.failNext('update', { status: 404, code: 'ActivityNotFound' });
    await h.teams.click({ user: DAN, activityId: asked.activityId, verb: VERB.Approve });
    expect(await asked.result).toBe('ran');
    const request = await h.cs.getRequest(asked.request.id);
    expect(request?.status).toBe('executed');
    await waitFor(() => !hasButtons(currentCard(h.teams, asked.activityId)));
  });
});
