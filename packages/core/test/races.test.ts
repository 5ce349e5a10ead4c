import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  AlreadyStartedError,
  ClosedError,
  createCountersign,
  IdempotencyConflictError,
  isCountersignError,
} from '../src/index.js';
import { createRecordingTransport, createTestClock } from '../src/testing/index.js';
import { CONTEXT, DIRECTORY, EXPORT, overrideStore, POLICY, setup } from './helpers.js';

const DEPLOY = { name: 'infra.deploy', resource: 'prod/web', params: { version: '1.2.3' } };

describe('races', () => {
  test('two decisions at once on a one-approval request: exactly one wins', async () => {
    const { cs, transport, clock } = setup();
    let runs = 0;
    const run = cs.guard({ ...DEPLOY, run: () => ++runs }, CONTEXT);
    const request = await transport.nextDelivery();
    await clock.flush();
    const results = await Promise.allSettled([
      cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' }),
      cs.decide(request.id, { approver: 'user:carol', outcome: 'deny' }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(isCountersignError(lost.reason, 'already_decided')).toBe(true);
    const final = await cs.getRequest(request.id);
    expect(final?.decisions).toHaveLength(1);
    await run.catch(() => {});
    expect(runs).toBeLessThanOrEqual(1);
  });

  test('twenty approvers racing on a quorum of two: two count, the rest change nothing', async () => {
    const approvers = Array.from({ length: 20 }, (_, i) => `user:a${i}`);
    const { cs, transport, clock } = setup({
      policy: [
        {
          id: 'two',
          match: { action: 'infra.deploy' },
          effect: 'require_approval',
          approvers: { users: approvers },
          quorum: 2,
        },
      ],
    });
    let runs = 0;
    const run = cs.guard({ ...DEPLOY, run: () => ++runs }, CONTEXT);
    const request = await transport.nextDelivery();
    await clock.flush();
    const results = await Promise.allSettled(
      approvers.map((approver) => cs.decide(request.id, { approver, outcome: 'approve' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(await run).toBe(1);
    // Two votes count: the first as `decided`, the one that meets the quorum as `approved`.
    const votes = (await cs.audit.entries()).filter((e) => e.type === 'decided' || e.type === 'approved');
    expect(votes.map((e) => e.type)).toEqual(['decided', 'approved']);
    expect((await cs.audit.verify()).ok).toBe(true);
  });

  test('two processes waiting on one approval: the action runs once', async () => {
    const store = createMemoryStore();
    const clock = createTestClock();
    const transport = createRecordingTransport();
    const make = () =>
      createCountersign({ store, transports: [transport], directory: DIRECTORY, policy: POLICY, clock });
    const [a, b] = [make(), make()];
    let runs = 0;
    const context = { ...CONTEXT, idempotencyKey: 'call_7' };
    const first = a.guard({ ...DEPLOY, run: () => ++runs }, context).catch((e: unknown) => e);
    const request = await transport.nextDelivery();
    const second = b.guard({ ...DEPLOY, run: () => ++runs }, context).catch((e: unknown) => e);
    await clock.flush();
    await a.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    const outcomes = await Promise.all([first, second]);
    expect(runs).toBe(1);
    expect(outcomes.filter((o) => o instanceof AlreadyStartedError)).toHaveLength(1);
    expect(transport.delivered).toHaveLength(1);
  });
});

describe('durable resume', () => {
  test('the same idempotency key and fingerprint re-attach to the pending request after a restart', async () => {
    const store = createMemoryStore();
    const clock = createTestClock();
    const transport = createRecordingTransport();
    const make = (s = store) =>
      createCountersign({ store: s, transports: [transport], directory: DIRECTORY, policy: POLICY, clock });
    // The first process shares the store but its shutdown must not close it.
    const before = make(overrideStore(store, { close: async () => {} }));
    const controller = new AbortController();
    const context = { ...CONTEXT, idempotencyKey: 'call_7' };
    const lost = before.guard({ ...EXPORT, run: () => 'lost' }, context).catch((e: unknown) => e);
    const request = await transport.nextDelivery();
    await clock.flush();
    await before.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await before.close();
    expect(await lost).toBeInstanceOf(ClosedError);
    expect((await store.getRequest(request.id))?.status).toBe('pending');

    const after = make();
    let runs = 0;
    const resumed = after.guard({ ...EXPORT, run: () => ++runs }, { ...context, signal: controller.signal });
    await clock.flush();
    await after.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    expect(await resumed).toBe(1);
    expect(transport.delivered).toHaveLength(1);
    const requested = (await after.audit.entries()).filter((e) => e.type === 'requested');
    expect(requested).toHaveLength(1);
    expect((await after.audit.verify()).ok).toBe(true);
  });

  test('the same key with another fingerprint is a conflict, and nothing is written', async () => {
    const { cs, transport, auditTypes, clock } = setup();
    const context = { ...CONTEXT, idempotencyKey: 'call_7' };
    void cs.guard({ ...EXPORT, run: () => 1 }, context).catch(() => {});
    await transport.nextDelivery();
    await clock.flush();
    const before = await auditTypes();
    const error = await cs
      .guard({ ...EXPORT, params: { table: 'orders', format: 'csv' }, run: () => 2 }, context)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect(await auditTypes()).toEqual(before);
  });

  test('a resumed call whose action already ran does not run it again', async () => {
    const { cs, transport, clock } = setup();
    const context = { ...CONTEXT, idempotencyKey: 'call_8' };
    let runs = 0;
    const first = cs.guard({ ...DEPLOY, run: () => ++runs }, context);
    const request = await transport.nextDelivery();
    await clock.flush();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await first;
    const again = await cs.guard({ ...DEPLOY, run: () => ++runs }, context).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(AlreadyStartedError);
    expect(runs).toBe(1);
  });
});
