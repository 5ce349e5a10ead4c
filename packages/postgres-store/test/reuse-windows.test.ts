import { createCountersign, ErrorCode, type PolicyRule } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import { createPostgresStore } from '../src/index.js';
import { killChildren, spawnChild } from './children.js';
import { dropSchema, freshStore, PG_URL } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const policy: PolicyRule[] = [
  {
    id: 'exports',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: ['user:bob'] },
    reuse: { within: '30m', scope: 'session', same: 'fingerprint', maxUses: 1 },
  },
];
const context = { actor: 'agent:report-bot', reason: 'weekly export', sessionId: 'sess_1' };
const exportCall = (ran: string[], who: string) => ({
  name: 'db.export',
  resource: 'prod/customers',
  params: { table: 'customers' },
  run: () => {
    ran.push(who);
    return who;
  },
});

/** Three instances on one schema, each with its own pool: two agents and an approver. */
async function processes() {
  const first = await freshStore();
  cleanups.push(() => dropSchema(first.schema));
  const store = () => createPostgresStore({ connectionString: PG_URL, schema: first.schema });
  const a = createCountersign({ store: first, policy, pollInterval: '50ms' });
  const b = createCountersign({ store: store(), policy, pollInterval: '50ms' });
  const approver = createCountersign({ store: store(), policy });
  cleanups.push(async () => {
    for (const cs of [a, b, approver]) await cs.close();
  });
  return { a, b, approver, schema: first.schema };
}

describe('reuse windows on PostgreSQL', () => {
  test('an approval in one process covers the identical call in another, once (maxUses 1)', async () => {
    const { a, b, approver } = await processes();
    const ran: string[] = [];
    const requested = new Promise<string>((resolve) => a.once('requested', (e) => resolve(e.request!.id)));
    const first = a.guard(exportCall(ran, 'a'), context);
    const requestId = await requested;
    await approver.decide(requestId, { approver: 'user:bob', outcome: 'approve' });
    expect(await first).toBe('a');
    // The window is in the database: process b relies on it and runs at once, with its own grant.
    expect(await b.guard(exportCall(ran, 'b'), { ...context, wait: false })).toBe('b');
    const reused = (await approver.audit.entries()).filter((entry) => entry.type === 'reused');
    expect(reused).toMatchObject([{ requestId }]);
    // Used up: the next identical call, from either process, asks again.
    const again = await a.guard(exportCall(ran, 'a2'), { ...context, wait: false }).catch((e) => e);
    expect(again).toMatchObject({ code: ErrorCode.ApprovalPending });
    expect(ran).toEqual(['a', 'b']);
    expect((await approver.audit.verify()).ok).toBe(true);
  });

  test('concurrent identical calls in two processes: exactly one relies on the window', async () => {
    const { a, b, approver } = await processes();
    const ran: string[] = [];
    const requested = new Promise<string>((resolve) => a.once('requested', (e) => resolve(e.request!.id)));
    const first = a.guard(exportCall(ran, 'first'), context);
    await approver.decide(await requested, { approver: 'user:bob', outcome: 'approve' });
    await first;
    const outcomes = await Promise.all(
      [a, b, a, b].map((cs, i) =>
        cs.guard(exportCall(ran, `racer${i}`), { ...context, wait: false }).catch((error) => error.code),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === ErrorCode.ApprovalPending)).toHaveLength(3);
    expect(ran).toHaveLength(2);
  });

  test('a window revoked in one process no longer applies in another', async () => {
    const { a, b, approver } = await processes();
    const ran: string[] = [];
    const requested = new Promise<string>((resolve) => a.once('requested', (e) => resolve(e.request!.id)));
    const first = a.guard(exportCall(ran, 'a'), context);
    const requestId = await requested;
    await approver.decide(requestId, { approver: 'user:bob', outcome: 'approve' });
    await first;
    expect(await approver.revokeReuse(requestId, { by: 'user:bob' })).toBe(true);
    const after = await b.guard(exportCall(ran, 'b'), { ...context, wait: false }).catch((e) => e);
    expect(after).toMatchObject({ code: ErrorCode.ApprovalPending });
    expect(ran).toEqual(['a']);
  });

  test('a separate OS process relies on the window, once; a second separate process asks', async () => {
    const { a, approver, schema } = await processes();
    const ran: string[] = [];
    const requested = new Promise<string>((resolve) => a.once('requested', (e) => resolve(e.request!.id)));
    const first = a.guard(exportCall(ran, 'a'), context);
    const requestId = await requested;
    await approver.decide(requestId, { approver: 'user:bob', outcome: 'approve' });
    await first;
    const config = { url: PG_URL, schema, policy, sessionId: context.sessionId };
    const b = spawnChild('reuse-agent', config);
    expect(await b.waitFor((e) => e.event === 'result', 60_000)).toMatchObject({ outcome: 'ran' });
    expect(b.events.find((e) => e.event === 'reused')).toMatchObject({ requestId });
    expect(b.events.find((e) => e.event === 'ran')?.grantId).toEqual(expect.stringMatching(/^grt_/));
    const c = spawnChild('reuse-agent', config);
    expect(await c.waitFor((e) => e.event === 'result', 60_000)).toMatchObject({
      outcome: ErrorCode.ApprovalPending,
    });
    expect(c.events.some((e) => e.event === 'ran')).toBe(false);
    expect((await approver.audit.verify()).ok).toBe(true);
  }, 120_000);

  test('sweepExpired drops reuse windows that have ended, and only those', async () => {
    const store = await freshStore();
    cleanups.push(async () => {
      await store.close();
      await dropSchema(store.schema);
    });
    const base = { requestId: 'req_x', ruleId: 'exports', scope: 's', match: 'm', risk: 'medium' as const };
    const now = Date.now();
    const window = { ...base, createdAt: now - 7_200_000, maxUses: 3, uses: 0, revokedAt: null };
    await store.createReuseWindow!({ ...window, id: 'reuse_old', expiresAt: now - 3_600_000 }, []);
    await store.createReuseWindow!({ ...window, id: 'reuse_live', expiresAt: now + 3_600_000 }, []);
    await store.sweepExpired();
    expect(await store.getReuseWindow!('reuse_old')).toBeNull();
    expect(await store.getReuseWindow!('reuse_live')).toMatchObject({ id: 'reuse_live' });
  });
});
