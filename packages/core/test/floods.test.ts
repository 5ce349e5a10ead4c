import { describe, expect, test } from 'vitest';
import { ErrorCode, isCountersignError } from '../src/index.js';
import { attempt, CONTEXT, EXPORT, setup } from './helpers.js';

const deploy = (n: number) => ({ name: 'infra.deploy', params: { build: n } });

describe('floods and duplicates (#10 §5)', () => {
  test('200 identical calls at once make one request and one message; one approval runs one of them', async () => {
    const { cs, transport } = setup();
    const calls = Array.from({ length: 200 }, (_, i) =>
      attempt(cs, EXPORT, { ...CONTEXT, idempotencyKey: `call_${i}` }),
    );
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    const outcomes = await Promise.all(calls.map((c) => c.outcome));
    expect(transport.delivered).toHaveLength(1);
    expect(calls.filter((c) => c.ran())).toHaveLength(1);
    expect(outcomes.filter((o) => isCountersignError(o, ErrorCode.AlreadyStarted))).toHaveLength(199);
  });

  test('the same call in another session is another request', async () => {
    const { cs, transport } = setup();
    await cs.open(EXPORT, CONTEXT);
    await cs.open(EXPORT, { ...CONTEXT, sessionId: 'other' });
    expect(transport.delivered).toHaveLength(2);
  });

  test('past maxPendingPerActor a new request is refused, audited and never delivered', async () => {
    const { cs, transport, auditTypes } = setup({ maxPendingPerActor: 3 });
    for (let n = 0; n < 3; n++) expect((await cs.open(deploy(n), CONTEXT)).status).toBe('pending');
    const error = await cs.open(deploy(3), CONTEXT).catch((e: unknown) => e);
    expect(isCountersignError(error, ErrorCode.TooManyPending)).toBe(true);
    expect(transport.delivered).toHaveLength(3);
    const entries = await cs.audit.entries();
    expect(entries.at(-1)).toMatchObject({
      type: 'policy_denied',
      detail: expect.stringContaining('too many'),
    });
    expect((await auditTypes()).filter((t) => t === 'requested')).toHaveLength(3);
    // Another actor is not affected, and a decision frees a place.
    expect((await cs.open(deploy(9), { ...CONTEXT, actor: 'agent:other' })).status).toBe('pending');
    await cs.decide(transport.delivered[0]!.id, { approver: 'user:bob', outcome: 'deny' });
    expect((await cs.open(deploy(3), CONTEXT)).status).toBe('pending');
  });

  test('a request settled by another process frees its place once the cap is reached', async () => {
    const { cs, transport, store } = setup({ maxPendingPerActor: 1 });
    await cs.open(deploy(0), CONTEXT);
    const first = transport.delivered[0]!;
    // Another process denies it: this process never sees the write.
    const stored = (await store.getRequest(first.id))!;
    await store.updateRequest(
      { ...stored, version: stored.version + 1, status: 'cancelled', closedReason: 'x' },
      [],
    );
    expect((await cs.open(deploy(1), CONTEXT)).status).toBe('pending');
  });
});
