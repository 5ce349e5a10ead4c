import { createTestClock } from '@countersign/core/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { createDecisionApi } from '../src/index.js';
import { createRefusalCoalescer } from '../src/refusal-coalescer.js';
import { AUDIENCE, type Fixture, fixture, ISSUER, testIssuer } from './helpers.js';

let fx: Fixture;
afterEach(async () => {
  await fx?.close();
});

async function setup() {
  fx = fixture();
  const issuer = await testIssuer();
  const clock = createTestClock(Date.now());
  const app = createDecisionApi(fx.cs, {
    store: fx.store,
    oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks },
    coalesceRefusals: { windowSeconds: 60 },
    clock,
  });
  const tokens = new Map<string, string>();
  const headers = async (who: string) => {
    if (!tokens.has(who)) tokens.set(who, await issuer.token({ sub: who }, { expiresIn: '1h' }));
    return { authorization: `Bearer ${tokens.get(who)}` };
  };
  const read = async (who: string, id: string) =>
    (await app.request(`/requests/${id}`, { headers: await headers(who) })).status;
  const decide = async (who: string, id: string) =>
    app.request(`/requests/${id}/decisions`, {
      method: 'POST',
      headers: { ...(await headers(who)), 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'approve' }),
    });
  return { app, clock, read, decide };
}

/** The `refused` entries: who, on which request, why. */
async function refusals(): Promise<string[]> {
  return (await fx.cs.audit.entries())
    .filter((entry) => entry.type === 'refused')
    .map((entry) => `${entry.approver} ${entry.requestId} ${entry.detail}`);
}

describe('refusals cannot flood the audit chain', () => {
  test('200 refused reads by one caller of one request write one entry; another caller or request gets its own', async () => {
    const { read, clock } = await setup();
    const { request: first } = await fx.pending();
    const { request: second } = await fx.pending();
    for (let i = 0; i < 200; i++) expect(await read('mallory', first.id)).toBe(403);
    expect(await refusals()).toHaveLength(1);
    // Concurrent repeats too: the claim comes before the write.
    const statuses = await Promise.all(Array.from({ length: 50 }, () => read('mallory', first.id)));
    expect(new Set(statuses)).toEqual(new Set([403]));
    expect(await refusals()).toHaveLength(1);
    expect(await read('eve', first.id)).toBe(403);
    expect(await read('mallory', second.id)).toBe(403);
    expect(await refusals()).toEqual([
      `user:mallory ${first.id} read refused: not an approver or auditor`,
      `user:eve ${first.id} read refused: not an approver or auditor`,
      `user:mallory ${second.id} read refused: not an approver or auditor`,
    ]);
    // After the window, the next repeat is audited again.
    await clock.advance(61_000);
    expect(await read('mallory', first.id)).toBe(403);
    expect(await refusals()).toHaveLength(4);
  });

  test('200 refused decisions by a non-approver, and 50 self-approvals, write one entry each', async () => {
    const { decide, read } = await setup();
    const { request } = await fx.pending();
    for (let i = 0; i < 150; i++) {
      const response = await decide('mallory', request.id);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { code: string }).code).toBe('not_eligible');
    }
    const concurrent = await Promise.all(Array.from({ length: 50 }, () => decide('mallory', request.id)));
    expect(new Set(concurrent.map((r) => r.status))).toEqual(new Set([403]));
    const selfApprovals = await Promise.all(Array.from({ length: 50 }, () => decide('alice', request.id)));
    for (const response of selfApprovals) {
      expect(response.status).toBe(403);
      expect(((await response.json()) as { code: string }).code).toBe('self_approval');
    }
    expect(await refusals()).toEqual([
      `user:mallory ${request.id} not an eligible approver`,
      `user:alice ${request.id} self-approval`,
    ]);
    // A refused read is another reason: its own entry.
    expect(await read('mallory', request.id)).toBe(403);
    expect(await refusals()).toHaveLength(3);
    expect((await fx.cs.getRequest(request.id))?.decisions).toEqual([]);
    // An eligible approver still decides through core.
    expect((await decide('bob', request.id)).status).toBe(200);
  });

  test('a refusal that could not be written is not coalesced: the next repeat is audited', async () => {
    const { read, decide } = await setup();
    const { request } = await fx.pending();
    const append = fx.store.appendAudit.bind(fx.store);
    let failing = true;
    fx.store.appendAudit = (...args) => (failing ? Promise.reject(new Error('disk full')) : append(...args));
    expect(await read('mallory', request.id)).toBe(403);
    expect((await decide('mallory', request.id)).status).toBe(503);
    expect(await refusals()).toHaveLength(0);
    failing = false;
    expect(await read('mallory', request.id)).toBe(403);
    expect((await decide('mallory', request.id)).status).toBe(403);
    expect(await refusals()).toEqual([
      `user:mallory ${request.id} read refused: not an approver or auditor`,
      `user:mallory ${request.id} not an eligible approver`,
    ]);
  });
});

describe('the coalescer', () => {
  test('100000 distinct refusals keep at most maxTracked in memory, and the oldest is forgotten first', () => {
    const coalescer = createRefusalCoalescer({ windowSeconds: 300, maxTracked: 1_000 });
    const now = 1_000_000;
    let largest = 0;
    let claimed = 0;
    for (let i = 0; i < 100_000; i++) {
      if (coalescer.claim('user:mallory', `req_${i}`, 'read', now)) claimed += 1;
      largest = Math.max(largest, coalescer.size);
    }
    expect(claimed).toBe(100_000);
    expect(largest).toBe(1_000);
    expect(coalescer.claim('user:mallory', 'req_99999', 'read', now)).toBe(false);
    // Forgotten early for room: audited again rather than never.
    expect(coalescer.claim('user:mallory', 'req_0', 'read', now)).toBe(true);
  });

  test('lapsed claims are dropped as new ones come, and keys cannot collide', () => {
    const coalescer = createRefusalCoalescer({ windowSeconds: 10 });
    for (let i = 0; i < 500; i++) coalescer.claim('user:a', `req_${i}`, 'read', 0);
    expect(coalescer.size).toBe(500);
    expect(coalescer.claim('user:a', 'req_0', 'read', 9_999)).toBe(false);
    expect(coalescer.claim('user:a', 'req_new', 'read', 10_000)).toBe(true);
    expect(coalescer.size).toBe(1);
    expect(coalescer.claim('user:a b', 'c', 'read', 10_000)).toBe(true);
    expect(coalescer.claim('user:a', 'b c', 'read', 10_000)).toBe(true);
  });

  test('options are checked', () => {
    expect(() => createRefusalCoalescer({ windowSeconds: 0 })).toThrow(
      /windowSeconds must be a positive integer/,
    );
    expect(() => createRefusalCoalescer({ window: 5 } as never)).toThrow(
      /unknown option "window" in coalesceRefusals/,
    );
  });
});

describe('refusals from the inbox', () => {
  test('a non-approver posting the decision form 100 times writes one entry, and sees the refusal each time', async () => {
    fx = fixture();
    const issuer = await testIssuer();
    const app = createDecisionApi(fx.cs, {
      store: fx.store,
      oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks },
      inbox: true,
      publicUrl: 'http://inbox.test',
    });
    const { request } = await fx.pending();
    const signedIn = await app.request('http://inbox.test/inbox/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://inbox.test' },
      body: new URLSearchParams({ token: await issuer.token({ sub: 'mallory' }), next: '/inbox' }).toString(),
    });
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const inbox = await (await app.request('http://inbox.test/inbox', { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(inbox)?.[1] ?? '';
    for (let i = 0; i < 100; i++) {
      const response = await app.request(`http://inbox.test/inbox/requests/${request.id}/decide`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: 'http://inbox.test' },
        body: new URLSearchParams({ csrf, outcome: 'approve' }).toString(),
      });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`/inbox/requests/${request.id}?notice=not_eligible`);
    }
    expect(await refusals()).toEqual([`user:mallory ${request.id} not an eligible approver`]);
    await app.close();
  });
});
