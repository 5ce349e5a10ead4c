import { generateKeyPairSync } from 'node:crypto';
import { isCountersignError } from '@countersign/core';
import { runTransportConformance, sampleRequest } from '@countersign/core/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { cloudEventType, createWebhookTransport, webhookPublicKey } from '../src/index.js';
import { type Fixture, fixture, hmacSecret } from './helpers.js';
import { startReceiver, type TestReceiver } from './webhook-receiver-server.js';

const quiet = { warn: () => {} };
const receivers: TestReceiver[] = [];
let fx: Fixture | undefined;

afterEach(async () => {
  await fx?.close();
  fx = undefined;
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function receiverFor(key: { secret: string } | { publicKey: string }, slowMs?: number) {
  const receiver = await startReceiver(key, slowMs);
  receivers.push(receiver);
  return receiver;
}

describe('HMAC (v1)', () => {
  runTransportConformance(
    { describe, test, expect },
    {
      async create() {
        const secret = hmacSecret();
        const receiver = await startReceiver({ secret });
        const transport = createWebhookTransport({ url: receiver.url, secret, backoffMs: 1, logger: quiet });
        const of = (id: string) => receiver.events.filter((e) => e.subject === id);
        return {
          transport,
          sent: async (id) =>
            of(id)
              .map((e) => JSON.stringify(e.data))
              .join('\n'),
          posts: async (id) => of(id).filter((e) => e.type === cloudEventType('requested')).length,
          cleanup: () => receiver.close(),
        };
      },
    },
  );
});

describe('Ed25519 (v1a)', () => {
  const seed = generateKeyPairSync('ed25519')
    .privateKey.export({ format: 'der', type: 'pkcs8' })
    .subarray(16);
  const privateKey = `whsk_${seed.toString('base64')}`;
  runTransportConformance(
    { describe, test, expect },
    {
      async create() {
        const receiver = await startReceiver({ publicKey: webhookPublicKey(privateKey) });
        const transport = createWebhookTransport({
          url: receiver.url,
          privateKey,
          backoffMs: 1,
          logger: quiet,
        });
        const of = (id: string) => receiver.events.filter((e) => e.subject === id);
        return {
          transport,
          sent: async (id) =>
            of(id)
              .map((e) => JSON.stringify(e.data))
              .join('\n'),
          posts: async (id) => of(id).filter((e) => e.type === cloudEventType('requested')).length,
          cleanup: () => receiver.close(),
        };
      },
    },
  );
});

function liveRequest() {
  const now = Date.now();
  return sampleRequest({ createdAt: now, expiresAt: now + 60_000 });
}

describe('delivery against a misbehaving receiver', () => {
  test('retries a failing endpoint with backoff, then succeeds once', async () => {
    const secret = hmacSecret();
    const receiver = await receiverFor({ secret });
    receiver.plan = ['fail', 'fail'];
    const transport = createWebhookTransport({ url: receiver.url, secret, backoffMs: 5, logger: quiet });
    const request = liveRequest();
    await transport.deliver(request, { signal: new AbortController().signal });
    expect(receiver.attempts).toBe(3);
    expect(receiver.events.map((e) => e.id)).toEqual([`evt_${request.id}_requested`]);
    await transport.close();
  });

  test('an endpoint that keeps failing fails delivery closed, and core cancels the request', async () => {
    const secret = hmacSecret();
    const receiver = await receiverFor({ secret });
    receiver.plan = Array(10).fill('fail');
    const transport = createWebhookTransport({
      url: receiver.url,
      secret,
      backoffMs: 1,
      maxAttempts: 3,
      logger: quiet,
    });
    fx = fixture({ transports: [transport], recording: false });
    const ran: string[] = [];
    const outcome = await fx.cs
      .guard(
        { name: 'db.export', resource: 'prod/customers', params: {}, run: () => ran.push('ran') },
        { actor: 'agent:report-bot', onBehalfOf: 'user:alice', sessionId: 's1', reason: 'r' },
      )
      .catch((error: unknown) => error);
    expect(isCountersignError(outcome, 'delivery_failed')).toBe(true);
    expect(ran).toEqual([]);
    expect(receiver.attempts).toBe(3);
  });

  test('an endpoint that never answers times out per attempt and fails closed', async () => {
    const secret = hmacSecret();
    const receiver = await receiverFor({ secret });
    receiver.plan = ['hang', 'hang'];
    const transport = createWebhookTransport({
      url: receiver.url,
      secret,
      backoffMs: 1,
      maxAttempts: 2,
      timeoutMs: 50,
      logger: quiet,
    });
    const error = await transport
      .deliver(liveRequest(), { signal: new AbortController().signal })
      .catch((e: unknown) => e);
    expect(String(error)).toContain('no answer within 50 ms');
    expect(receiver.events).toEqual([]);
    await transport.close();
  });

  test('a slow endpoint inside the timeout is a success, not a retry', async () => {
    const secret = hmacSecret();
    const receiver = await receiverFor({ secret }, 150);
    receiver.plan = ['slow'];
    const transport = createWebhookTransport({ url: receiver.url, secret, timeoutMs: 5_000, logger: quiet });
    await transport.deliver(liveRequest(), { signal: new AbortController().signal });
    expect(receiver.attempts).toBe(1);
    expect(receiver.events).toHaveLength(1);
    await transport.close();
  });

  test('410 Gone stops retrying at once', async () => {
    const secret = hmacSecret();
    const receiver = await receiverFor({ secret });
    receiver.plan = ['gone'];
    const transport = createWebhookTransport({ url: receiver.url, secret, backoffMs: 1, logger: quiet });
    await expect(transport.deliver(liveRequest(), { signal: new AbortController().signal })).rejects.toThrow(
      /HTTP 410/,
    );
    expect(receiver.attempts).toBe(1);
    await transport.close();
  });

  test('retries stop at the request deadline', async () => {
    const secret = hmacSecret();
    const receiver = await receiverFor({ secret });
    receiver.plan = Array(10).fill('fail');
    const transport = createWebhookTransport({ url: receiver.url, secret, backoffMs: 60_000, logger: quiet });
    const now = Date.now();
    const request = sampleRequest({ createdAt: now, expiresAt: now + 1_000 });
    await expect(transport.deliver(request, { signal: new AbortController().signal })).rejects.toThrow(
      /HTTP 500/,
    );
    expect(receiver.attempts).toBe(1);
    await transport.close();
  });

  test('a receiver with another key refuses every event', async () => {
    const receiver = await receiverFor({ secret: hmacSecret() });
    const transport = createWebhookTransport({
      url: receiver.url,
      secret: hmacSecret(),
      backoffMs: 1,
      maxAttempts: 2,
      logger: quiet,
    });
    await expect(transport.deliver(liveRequest(), { signal: new AbortController().signal })).rejects.toThrow(
      /HTTP 401/,
    );
    expect(receiver.rejected).toBe(2);
    await transport.close();
  });
});

describe('events through a whole approval', () => {
  test('requested, decided, approved and executed arrive once each, redacted, with stable ids', async () => {
    const secret = hmacSecret();
    const receiver = await receiverFor({ secret });
    const transport = createWebhookTransport({
      url: receiver.url,
      secret,
      logger: quiet,
      publicUrl: 'https://approve.example.test',
    });
    fx = fixture({ transports: [transport] });
    const { request, outcome } = await fx.pending({
      table: 'customers',
      apiKey: 'sk_live_very_secret_value',
    });
    await fx.cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect(await outcome).toEqual({ ok: 'exported' });
    await fx.close();
    const types = receiver.events.map((e) => e.type.replace('dev.countersign.request.', ''));
    expect(types).toEqual(['requested', 'decided', 'approved', 'executed']);
    expect(new Set(receiver.events.map((e) => e.id)).size).toBe(4);
    expect(JSON.stringify(receiver.events)).not.toContain('sk_live_very_secret_value');
    expect(receiver.events[0]?.data.approvalUrl).toBe(
      `https://approve.example.test/inbox/requests/${request.id}`,
    );
  });

  test('refuses unknown options and plain http to a non-loopback host', () => {
    expect(() => createWebhookTransport({ url: 'http://example.test/x', secret: hmacSecret() })).toThrow(
      /https/,
    );
    expect(() =>
      createWebhookTransport({ url: 'https://example.test/x', secret: hmacSecret(), retries: 3 } as never),
    ).toThrow(/"retries"/);
    expect(() => createWebhookTransport({ url: 'https://example.test/x' })).toThrow(/exactly one/);
  });
});
