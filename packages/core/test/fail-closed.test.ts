import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  ApprovalCancelledError,
  ApprovalExpiredError,
  CorruptRecordError,
  DeliveryError,
  OutcomeNotRecordedError,
  type Store,
  StoreError,
} from '../src/index.js';
import { createRecordingTransport, createTestClock } from '../src/testing/index.js';
import { approveNextDelivery, attempt, CONTEXT, EXPORT, overrideStore, setup } from './helpers.js';

/** A memory store whose named methods throw, to prove a broken store never lets an action run. */
function brokenStore(...methods: (keyof Store)[]): Store {
  const fail = (method: string) => async () => {
    throw new Error(`connection refused (${method})`);
  };
  return overrideStore(
    createMemoryStore(),
    Object.fromEntries(methods.map((method) => [method, fail(method)])),
  );
}

describe('fail closed', () => {
  test('a request that times out expires and its action never runs', async () => {
    const { cs, transport, clock, auditTypes } = setup();
    const { outcome: run, ran } = attempt(cs);
    const request = await transport.nextDelivery();
    await clock.flush();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await clock.advance(15 * 60_000 - 1);
    expect((await cs.getRequest(request.id))?.status).toBe('pending');
    await clock.advance(1);
    expect(await run).toBeInstanceOf(ApprovalExpiredError);
    expect(ran()).toBe(false);
    expect((await cs.getRequest(request.id))?.status).toBe('expired');
    expect(await auditTypes()).toEqual(['requested', 'delivered', 'decided', 'expired']);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('an aborted signal cancels the pending request', async () => {
    const { cs, transport, clock } = setup();
    const controller = new AbortController();
    const { outcome: run, ran } = attempt(cs, EXPORT, { ...CONTEXT, signal: controller.signal });
    const request = await transport.nextDelivery();
    controller.abort();
    expect(await run).toBeInstanceOf(ApprovalCancelledError);
    expect((await cs.getRequest(request.id))?.status).toBe('cancelled');
    await expect(cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' })).rejects.toMatchObject({
      code: 'already_decided',
    });
    expect(ran()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a signal aborted before the call runs nothing and records nothing', async () => {
    const { cs, auditTypes } = setup();
    const { outcome, ran } = attempt(cs, { name: 'db.read' }, { ...CONTEXT, signal: AbortSignal.abort() });
    const error = await outcome;
    expect(error).toBeInstanceOf(ApprovalCancelledError);
    expect(ran()).toBe(false);
    expect(await auditTypes()).toEqual([]);
  });

  test('when every transport fails to deliver, the request is cancelled with a DeliveryError', async () => {
    const first = createRecordingTransport('first');
    const second = createRecordingTransport('second');
    first.failDeliveries(new Error('invalid_auth'));
    second.failDeliveries(new Error('channel_not_found'));
    const { cs, auditTypes, clock } = setup({ transports: [first, second] });
    const { outcome, ran } = attempt(cs);
    const error = (await outcome) as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.failures.map((f) => f.transport)).toEqual(['first', 'second']);
    expect(ran()).toBe(false);
    expect(await auditTypes()).toEqual(['requested', 'delivery_failed', 'delivery_failed', 'cancelled']);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a transport that never answers fails the request at its deadline', async () => {
    const hanging = { name: 'hanging', deliver: () => new Promise<undefined>(() => {}) };
    const { cs, clock, auditTypes } = setup({ transports: [hanging] });
    const { outcome: run, ran } = attempt(cs);
    await clock.advance(15 * 60_000);
    expect(await run).toBeInstanceOf(DeliveryError);
    expect(ran()).toBe(false);
    expect(await auditTypes()).toEqual(['requested', 'delivery_failed', 'cancelled']);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('aborting while a transport is still delivering cancels the request', async () => {
    const hanging = { name: 'hanging', deliver: () => new Promise<undefined>(() => {}) };
    const { cs, clock } = setup({ transports: [hanging] });
    const controller = new AbortController();
    const run = cs
      .guard({ ...EXPORT, run: () => 1 }, { ...CONTEXT, signal: controller.signal })
      .catch((e: unknown) => e);
    await clock.flush();
    controller.abort();
    const error = await run;
    expect(error).toBeInstanceOf(ApprovalCancelledError);
    expect((error as Error).message).toContain('aborted by the caller');
    expect(clock.pendingTimers()).toBe(0);
  });

  test("a transport's delivery signal aborts once the request is decided, however late it is read", async () => {
    let context: { signal: AbortSignal } | null = null;
    let finish: (ref: Record<string, string>) => void = () => {};
    const slow = {
      name: 'slow',
      deliver: (_request: unknown, ctx: { signal: AbortSignal }) => {
        context = ctx;
        return new Promise<Record<string, string>>((resolve) => {
          finish = resolve;
        });
      },
    };
    const early = createRecordingTransport('early');
    const { cs, clock } = setup({ transports: [slow, early] });
    const run = cs.guard({ ...EXPORT, run: () => 'ran' }, CONTEXT);
    const request = await early.nextDelivery();
    await clock.flush();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    finish({ id: 'late' });
    expect(await run).toBe('ran');
    // Read only now, after the decision: it must already say delivery is over.
    expect(context!.signal.aborted).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('one transport delivering is enough', async () => {
    const broken = createRecordingTransport('broken');
    const working = createRecordingTransport('working');
    broken.failDeliveries(new Error('timeout'));
    const { cs, auditTypes, clock } = setup({ transports: [broken, working] });
    const run = cs.guard({ name: 'infra.deploy', run: () => 'ok' }, CONTEXT);
    const request = await working.nextDelivery();
    await clock.flush();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect(await run).toBe('ok');
    expect((await auditTypes()).slice(0, 3)).toEqual(['requested', 'delivered', 'delivery_failed']);
  });

  test.each([
    ['createGrant', 'db.read'],
    ['appendAudit', 'iam.grant'],
    ['createRequest', 'db.export'],
    ['getRequest', 'db.export'],
    ['updateRequest', 'db.export'],
    ['findRequestByIdempotencyKey', 'db.export'],
  ] as const)('a store failing in %s stops %s before it runs', async (method, name) => {
    const { cs } = setup({ store: brokenStore(method) });
    const context = { ...CONTEXT, idempotencyKey: 'k1' };
    const { outcome, ran } = attempt(cs, { name, resource: 'prod/customers', params: {} }, context);
    const error = await outcome;
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toContain(`memory.${method}`);
    expect(ran()).toBe(false);
  });

  test('a waiting guard rides out a store outage, and fails closed if it lasts past the deadline', async () => {
    const memory = createMemoryStore();
    let down = false;
    const store = overrideStore(memory, {
      getRequest: async (id: string) => {
        if (down) throw new Error('connection terminated');
        return memory.getRequest(id);
      },
    });
    const { cs, transport, clock } = setup({ store });
    const survives = cs.guard({ name: 'infra.deploy', run: () => 'deployed' }, CONTEXT);
    const first = await transport.nextDelivery();
    await clock.flush();
    down = true;
    await clock.advance(5_000);
    down = false;
    await cs.decide(first.id, { approver: 'user:bob', outcome: 'approve' });
    expect(await survives).toBe('deployed');

    const { outcome: fails, ran } = attempt(cs, { name: 'infra.deploy', params: { v: 2 } });
    const second = await transport.nextDelivery();
    await clock.flush();
    down = true;
    await clock.advance(15 * 60_000);
    expect(await fails).toBeInstanceOf(StoreError);
    expect(ran()).toBe(false);
    down = false;
    expect((await cs.getRequest(second.id))?.status).toBe('pending');
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a clock that fails while a guard waits rejects the guard instead of leaving it pending', async () => {
    const clock = createTestClock();
    let timers = 0;
    // The first timer is the delivery deadline; the second, the wait's next look, fails.
    const failing = {
      now: () => clock.now(),
      clearTimeout: (handle: unknown) => clock.clearTimeout(handle),
      setTimeout: (callback: () => void, ms: number) => {
        timers += 1;
        if (timers >= 2) throw new Error('timer service unavailable');
        return clock.setTimeout(callback, ms);
      },
    };
    const { cs, transport } = setup({ clock: failing });
    const { outcome, ran } = attempt(cs);
    await transport.nextDelivery();
    await clock.flush();
    const error = await outcome;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('timer service unavailable');
    expect(ran()).toBe(false);
    expect(timers).toBe(2);
  });

  test('an approval whose claim and grant cannot be written runs nothing', async () => {
    // Claimed after a read (a store without claimApproved), and claimed without one.
    const stores = [
      overrideStore(brokenStore('updateRequestAndCreateGrant'), { claimApproved: undefined }),
      brokenStore('claimApproved'),
    ];
    for (const store of stores) {
      const { cs, transport, clock } = setup({ store });
      const { outcome, ran } = attempt(cs);
      await approveNextDelivery(cs, transport, clock);
      expect(await outcome).toBeInstanceOf(StoreError);
      expect(ran()).toBe(false);
    }
  });

  test('an approved action whose outcome cannot be written says so', async () => {
    const { cs, transport, clock } = setup({ store: brokenStore('revokeGrantAndUpdateRequest') });
    const { outcome, ran } = attempt(cs);
    await approveNextDelivery(cs, transport, clock);
    expect(await outcome).toBeInstanceOf(OutcomeNotRecordedError);
    expect(ran()).toBe(true);
  });

  test('a store answering the combined write with garbage fails as a corrupt record', async () => {
    const memory = createMemoryStore();
    const store = overrideStore(memory, { revokeGrantAndUpdateRequest: async () => 'ok' });
    const { cs, transport, clock } = setup({ store });
    const { outcome } = attempt(cs);
    await approveNextDelivery(cs, transport, clock);
    const error = await outcome;
    expect(error).toBeInstanceOf(OutcomeNotRecordedError);
    expect((error as OutcomeNotRecordedError).cause).toBeInstanceOf(CorruptRecordError);
  });

  test('an action that throws and whose outcome cannot be written: OutcomeNotRecordedError, the action error as cause', async () => {
    const { cs, transport, clock } = setup({ store: brokenStore('revokeGrantAndUpdateRequest') });
    const boom = new Error('disk full');
    const outcome = cs
      .guard(
        {
          ...EXPORT,
          run: () => {
            throw boom;
          },
        },
        CONTEXT,
      )
      .catch((e: unknown) => e);
    await approveNextDelivery(cs, transport, clock);
    const error = await outcome;
    expect(error).toBeInstanceOf(OutcomeNotRecordedError);
    expect((error as OutcomeNotRecordedError).cause).toBe(boom);
    expect((error as OutcomeNotRecordedError).recordError).toBeInstanceOf(StoreError);
  });

  test('a store failing after the action ran says so instead of reporting success', async () => {
    const { cs } = setup({ store: brokenStore('revokeGrant') });
    let runs = 0;
    const error = await cs.guard({ name: 'db.read', run: () => ++runs }, CONTEXT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeNotRecordedError);
    expect(runs).toBe(1);
  });
});
