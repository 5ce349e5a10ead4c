import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { ClosedError, type CountersignEvent, type Grant, type Store } from '../src/index.js';
import { attempt, CONTEXT, EXPORT, overrideStore, setup } from './helpers.js';

describe('lifecycle', () => {
  test('no timers or waiters are left once guards settle, whatever the outcome', async () => {
    const { cs, transport, clock } = setup();
    const approved = cs.guard({ ...EXPORT, run: () => 1 }, CONTEXT);
    const denied = cs
      .guard({ ...EXPORT, params: { table: 'orders' }, run: () => 1 }, CONTEXT)
      .catch(() => {});
    const expiring = cs.guard({ ...EXPORT, params: { table: 'x' }, run: () => 1 }, CONTEXT).catch(() => {});
    const [a, b] = [await transport.nextDelivery(), await transport.nextDelivery()];
    await transport.nextDelivery();
    await clock.flush();
    // Three waiting guards, one clock timer: they share the runtime's alarm.
    expect(clock.pendingTimers()).toBe(1);
    await cs.decide(a.id, { approver: 'user:bob', outcome: 'approve' });
    await cs.decide(a.id, { approver: 'user:carol', outcome: 'approve' });
    await cs.decide(b.id, { approver: 'user:bob', outcome: 'deny' });
    await Promise.all([approved, denied]);
    await clock.advance(15 * 60_000);
    await expiring;
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a decision made while a waiting guard reads its request is not missed until the next poll', async () => {
    const store = createMemoryStore();
    // The n-th read after arming returns the request as it was when read, but only on release.
    let reads = 0;
    let holdRead = 0;
    let release: () => void = () => {};
    const held = overrideStore(store, {
      getRequest: async (id: string) => {
        const snapshot = await store.getRequest(id);
        if (holdRead === 0 || ++reads !== holdRead) return snapshot;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return snapshot;
      },
    });
    const { cs, transport, clock } = setup({ store: held, pollInterval: '1h' });
    const { outcome } = attempt(cs);
    let settled = false;
    void outcome.then(() => {
      settled = true;
    });
    const request = await transport.nextDelivery();
    await clock.flush();
    holdRead = 2;
    // Bob's decision reads (1) and wakes the guard, whose read (2) is held, still pending.
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await clock.flush();
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    release();
    await clock.flush();
    // The clock never moved: the guard looked again at once because it was woken mid-read.
    expect(settled).toBe(true);
    expect(await outcome).toBe('ran');
  });

  test('a store without the combined writes records the same steps, call by call', async () => {
    // The action consumes its grant, so a grant the store never created shows as a refusal.
    const approveThenRun = async (store: Store, fail: boolean) => {
      const { cs, transport, clock, auditTypes } = setup({ store });
      const run = async (grant: Grant) => {
        await cs.grants.consume(grant.token, { ...EXPORT, sessionId: CONTEXT.sessionId });
        if (fail) throw new Error('boom');
        return 'done';
      };
      const outcome = cs.guard({ ...EXPORT, run }, CONTEXT).catch((error: unknown) => error);
      const request = await transport.nextDelivery();
      await clock.flush();
      await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
      await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
      const result = await outcome;
      const status = (await cs.getRequest(request.id))?.status;
      expect((await cs.audit.verify()).ok).toBe(true);
      const ended = (await cs.audit.entries()).find((e) => e.type === 'executed' || e.type === 'failed');
      return { result, status, types: await auditTypes(), consumedAt: ended?.consumedAt };
    };
    const withoutCombined = () =>
      overrideStore(createMemoryStore(), {
        updateRequestAndCreateGrant: undefined,
        revokeGrantAndUpdateRequest: undefined,
      });
    for (const fail of [false, true]) {
      const combined = await approveThenRun(createMemoryStore(), fail);
      const separate = await approveThenRun(withoutCombined(), fail);
      expect(combined.types).not.toContain('consume_refused');
      expect(combined.consumedAt).toBeTypeOf('number');
      expect(separate.consumedAt).toBe(combined.consumedAt);
      expect(separate.status).toBe(combined.status);
      // Without the combined write the revocation is a step, and an entry, of its own.
      const outcome = combined.types.length - 1;
      expect(separate.types).toEqual([
        ...combined.types.slice(0, outcome),
        'revoked',
        combined.types[outcome],
      ]);
      expect(String(separate.result)).toBe(String(combined.result));
    }
  });

  test('events report each step with the redacted request', async () => {
    const { cs, transport, clock } = setup();
    const seen: string[] = [];
    const record = (event: CountersignEvent) => seen.push(`${event.type}:${event.request?.status ?? '-'}`);
    for (const name of ['requested', 'decided', 'approved', 'executed', 'revoked'] as const)
      cs.on(name, record);
    const run = cs.guard({ ...EXPORT, run: () => 1 }, CONTEXT);
    const request = await transport.nextDelivery();
    await clock.flush();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    await run;
    expect(seen).toEqual(['requested:pending', 'decided:pending', 'approved:approved', 'executed:executed']);
  });

  test('transports hear about every change, and a failing update changes no decision', async () => {
    const { cs, transport, clock } = setup();
    const errors: unknown[] = [];
    cs.on('transport_error', (event) => errors.push(event.error));
    transport.failUpdates(new Error('chat.update failed'));
    const run = cs.guard({ ...EXPORT, run: () => 'ran' }, CONTEXT);
    const request = await transport.nextDelivery();
    await clock.flush();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    transport.failUpdates(null);
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    expect(await run).toBe('ran');
    expect(errors.length).toBeGreaterThan(0);
    expect(transport.updates.map((u) => u.request.status)).toEqual(['approved', 'approved', 'executed']);
  });

  test('wrap guards every call of a function', async () => {
    const { cs } = setup();
    const read = cs.wrap(
      { name: 'db.read', resource: (input: { table: string }) => `prod/${input.table}` },
      (input, grant) => ({
        table: input.table,
        grant: grant.id,
      }),
    );
    expect(await read({ table: 'customers' }, CONTEXT)).toMatchObject({
      table: 'customers',
      grant: expect.stringMatching(/^grt_/),
    });
    const escalate = cs.wrap({ name: 'iam.grantRole' }, () => 'escalated');
    await expect(escalate({ role: 'admin' }, CONTEXT)).rejects.toMatchObject({ code: 'policy_denied' });
    expect((await cs.audit.entries())[0]?.action?.resource).toBe('prod/customers');
  });

  test('explain shows the decision and the rule without recording anything', async () => {
    const { cs, auditTypes } = setup();
    expect(cs.explain({ action: 'db.export', resource: 'prod/customers', actor: 'agent:x' })).toMatchObject({
      effect: 'require_approval',
      ruleId: 'exports-need-two',
    });
    expect(cs.explain({ action: 'db.export', resource: 'staging/customers', actor: 'agent:x' }).ruleId).toBe(
      'default',
    );
    expect(await auditTypes()).toEqual([]);
  });

  test('sweep expires stale pending requests that nobody waits for any more', async () => {
    const store = createMemoryStore();
    const agent = setup({ store: overrideStore(store, { close: async () => {} }) });
    const lost = agent.cs.guard({ ...EXPORT, run: () => 1 }, CONTEXT).catch((e: unknown) => e);
    const request = await agent.transport.nextDelivery();
    await agent.clock.flush();
    await agent.cs.close();
    expect(await lost).toBeInstanceOf(ClosedError);
    const server = setup({ store, clock: agent.clock });
    expect(await server.cs.sweep()).toBe(0);
    await agent.clock.advance(15 * 60_000);
    expect(await server.cs.sweep()).toBe(1);
    expect((await store.getRequest(request.id))?.status).toBe('expired');
    expect(await server.cs.sweep()).toBe(0);
  });

  test('a closed instance refuses work', async () => {
    const { cs } = setup();
    await cs.close();
    await cs.close();
    await expect(cs.guard({ name: 'db.read', run: () => 1 }, CONTEXT)).rejects.toBeInstanceOf(ClosedError);
  });
});
