// A guard that created its request neither reads it right after, nor before claiming it once woken: it claims.
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { type ApprovalRequest, CorruptRecordError, createCountersign, type Store } from '../src/index.js';
import { createRecordingTransport, createTestClock } from '../src/testing/index.js';
import { attempt, DIRECTORY, overrideStore, POLICY, tick } from './helpers.js';

const DEPLOY = { name: 'infra.deploy', resource: 'prod/web', params: { version: '1.2.3' } };

/** The store with every call it gets recorded by name. */
function recorded(store: Store, overrides: Partial<Record<keyof Store, unknown>> = {}) {
  const calls: string[] = [];
  const wrapped: Partial<Record<keyof Store, unknown>> = { ...overrides };
  for (const key of Object.keys(store) as (keyof Store)[]) {
    const value = overrides[key] ?? store[key];
    if (typeof value !== 'function') continue;
    wrapped[key] = (...args: unknown[]) => {
      calls.push(key);
      return Reflect.apply(value as (...a: unknown[]) => unknown, store, args);
    };
  }
  return { store: overrideStore(store, wrapped), calls };
}

/** An agent and an approval server, two instances on one store (as two processes on one database). */
function instances(agentStore: (shared: Store) => Store) {
  const shared = createMemoryStore();
  const options = { directory: DIRECTORY, policy: POLICY, clock: createTestClock(), logger: null };
  const agent = createCountersign({ ...options, store: agentStore(shared) });
  const server = createCountersign({ ...options, store: shared });
  const requested = () =>
    new Promise<string>((resolve) => agent.on('requested', (event) => resolve(event.request!.id)));
  return { agent, server, requested, shared };
}

describe('claiming without a read', () => {
  test('a claim whose record fails core checks revokes its grant, audits the refusal and runs nothing', async () => {
    // A store whose claim returns the approval of another session: core's checks catch it after the claim.
    const { agent, server, requested } = instances((shared) =>
      overrideStore(shared, {
        claimApproved: async (...args: Parameters<NonNullable<Store['claimApproved']>>) => {
          const claimed = await shared.claimApproved!(...args);
          return claimed && { ...claimed, sessionId: 'sess_other' };
        },
      }),
    );
    const id = requested();
    const { outcome, ran } = attempt(agent, DEPLOY);
    await server.decide(await id, { approver: 'user:bob', outcome: 'approve' });
    const error = await outcome;
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect(String((error as Error).message)).toContain('is for another session');
    expect(ran()).toBe(false);
    const entries = await agent.audit.entries();
    expect(entries.map((entry) => entry.type)).toEqual([
      'requested',
      'approved',
      'granted',
      'revoked',
      'refused',
    ]);
    const granted = entries.find((entry) => entry.type === 'granted')!;
    expect(entries.find((entry) => entry.type === 'revoked')?.grantId).toBe(granted.grantId);
    expect(entries.at(-1)?.detail).toContain('corrupt record, not run');
    expect((await agent.audit.verify()).ok).toBe(true);
  });

  test('a forged wake for a pending request claims nothing and writes nothing; the approval later runs', async () => {
    const { store, calls } = recorded(createMemoryStore());
    const agent = createCountersign({
      store,
      directory: DIRECTORY,
      policy: POLICY,
      clock: createTestClock(),
      logger: null,
    });
    const id = new Promise<string>((resolve) => agent.on('requested', (event) => resolve(event.request!.id)));
    const { outcome, ran } = attempt(agent, DEPLOY);
    const requestId = await id;
    await tick();
    const before = (await store.getRequest(requestId)) as ApprovalRequest;
    calls.length = 0;
    // What a forged NOTIFY does: a wake naming the request, nothing changed.
    (agent as unknown as { runtime: { waiters: { wake(id: string): void } } }).runtime.waiters.wake(
      requestId,
    );
    await tick();
    expect(calls).toEqual(['claimApproved', 'getRequest']);
    expect(await store.getRequest(requestId)).toEqual(before);
    expect(ran()).toBe(false);
    await agent.decide(requestId, { approver: 'user:bob', outcome: 'approve' });
    expect(await outcome).toBe('ran');
    expect((await agent.audit.entries()).map((entry) => entry.type)).toEqual([
      'requested',
      'approved',
      'granted',
      'executed',
    ]);
  });

  test('an approval decided elsewhere runs with no read by the agent: create, claim, revoke with the outcome', async () => {
    let calls: string[] = [];
    const { agent, server, requested } = instances((shared) => {
      const wrapped = recorded(shared);
      calls = wrapped.calls;
      return wrapped.store;
    });
    const id = requested();
    const { outcome, ran } = attempt(agent, DEPLOY);
    await server.decide(await id, { approver: 'user:bob', outcome: 'approve' });
    expect(await outcome).toBe('ran');
    expect(ran()).toBe(true);
    const writesAndReads = calls.filter((call) => call !== 'subscribe');
    expect(writesAndReads).toEqual(['createRequest', 'claimApproved', 'revokeGrantAndUpdateRequest']);
    expect((await agent.audit.verify()).ok).toBe(true);
  });

  test('without claimApproved, a store is read before its claim, as before', async () => {
    let calls: string[] = [];
    const { agent, server, requested } = instances((shared) => {
      const wrapped = recorded(shared, { claimApproved: undefined });
      calls = wrapped.calls;
      return overrideStore(wrapped.store, { claimApproved: undefined });
    });
    const id = requested();
    const { outcome } = attempt(agent, DEPLOY);
    await server.decide(await id, { approver: 'user:bob', outcome: 'approve' });
    expect(await outcome).toBe('ran');
    expect(calls.filter((call) => call !== 'subscribe')).toEqual([
      'createRequest',
      'getRequest',
      'updateRequestAndCreateGrant',
      'revokeGrantAndUpdateRequest',
    ]);
  });

  test('one instance deciding its own guard: the decision announces its events before the woken guard claims', async () => {
    // The memory store tells subscribers of a write before the write returns: the woken guard
    // must not claim (and announce `granted`) before decide() has announced `approved`.
    let calls: string[] = [];
    const shared = createMemoryStore();
    const wrapped = recorded(shared);
    calls = wrapped.calls;
    const cs = createCountersign({
      directory: DIRECTORY,
      policy: POLICY,
      clock: createTestClock(),
      logger: null,
      store: wrapped.store,
    });
    const types: string[] = [];
    for (const type of ['requested', 'approved', 'granted', 'executed'] as const) {
      cs.on(type, () => types.push(type));
    }
    const id = new Promise<string>((resolve) => cs.on('requested', (event) => resolve(event.request!.id)));
    const { outcome } = attempt(cs, DEPLOY);
    await cs.decide(await id, { approver: 'user:bob', outcome: 'approve' });
    expect(await outcome).toBe('ran');
    expect(types).toEqual(['requested', 'approved', 'granted', 'executed']);
    // The one read is decide()'s: the held notice was answered by the decision's own wake, not delivered twice.
    expect(calls.filter((call) => call !== 'subscribe')).toEqual([
      'createRequest',
      'getRequest',
      'updateRequest',
      'claimApproved',
      'revokeGrantAndUpdateRequest',
    ]);
  });

  test('delivery writes its receipt over the record it created, unread; its own write makes the first look a read, not a claim', async () => {
    const { store, calls } = recorded(createMemoryStore());
    const transport = createRecordingTransport();
    const cs = createCountersign({
      store,
      transports: [transport],
      directory: DIRECTORY,
      policy: POLICY,
      clock: createTestClock(),
      logger: null,
    });
    const { outcome, ran } = attempt(cs, DEPLOY);
    const request = await transport.nextDelivery();
    await tick();
    expect(calls.filter((call) => call !== 'subscribe')).toEqual([
      'createRequest',
      'updateRequest',
      'getRequest',
    ]);
    expect((await store.getRequest(request.id))?.deliveries.map((d) => d.transport)).toEqual(['recording']);
    expect(ran()).toBe(false);
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect(await outcome).toBe('ran');
    expect((await cs.audit.entries()).map((entry) => entry.type)).toEqual([
      'requested',
      'delivered',
      'approved',
      'granted',
      'executed',
    ]);
    expect((await cs.audit.verify()).ok).toBe(true);
  });

  test('a receipt over a record that changed meanwhile is refused by the store, then written over a fresh read', async () => {
    const transport = createRecordingTransport();
    const shared = createMemoryStore();
    let bump: (() => Promise<void>) | null = null;
    // Another writer changes the request while the transport delivers it.
    const slow = {
      ...transport,
      name: transport.name,
      async deliver(request: ApprovalRequest, context: Parameters<typeof transport.deliver>[1]) {
        await bump?.();
        return transport.deliver(request, context);
      },
    };
    const { store, calls } = recorded(shared);
    const cs = createCountersign({
      store,
      transports: [slow],
      directory: DIRECTORY,
      policy: POLICY,
      clock: createTestClock(),
      logger: null,
    });
    bump = async () => {
      bump = null;
      const [pending] = (await shared.listRequests({ status: 'pending', limit: 1 })) as ApprovalRequest[];
      await shared.updateRequest({ ...pending!, version: pending!.version + 1 }, []);
    };
    const { outcome } = attempt(cs, DEPLOY);
    const request = await transport.nextDelivery();
    await tick();
    expect(calls.filter((call) => call !== 'subscribe' && call !== 'listRequests')).toEqual([
      'createRequest',
      'updateRequest',
      'getRequest',
      'updateRequest',
      // Another writer's change woke it while delivering: claim first (nothing to claim), then read.
      'claimApproved',
      'getRequest',
    ]);
    const stored = (await store.getRequest(request.id)) as ApprovalRequest;
    expect(stored.version).toBe(3);
    expect(stored.deliveries.map((d) => d.transport)).toEqual(['recording']);
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect(await outcome).toBe('ran');
  });

  test('a decision made while the request is being delivered makes the first look claim first', async () => {
    let calls: string[] = [];
    const { agent, server, shared } = instances((store) => {
      const wrapped = recorded(store);
      calls = wrapped.calls;
      return wrapped.store;
    });
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const delivering = new Promise<string>((resolve) => {
      (
        agent as unknown as { runtime: { options: { transports: Map<string, unknown> } } }
      ).runtime.options.transports.set('gated', {
        name: 'gated',
        async deliver(request: ApprovalRequest) {
          resolve(request.id);
          await gate;
          return { id: request.id };
        },
      });
    });
    const { outcome } = attempt(agent, DEPLOY);
    const id = await delivering;
    await server.decide(id, { approver: 'user:bob', outcome: 'approve' });
    open();
    expect(await outcome).toBe('ran');
    expect(calls.filter((call) => call !== 'subscribe')).toEqual([
      'createRequest',
      'updateRequest', // the receipt over the record it created: refused, the decision came first
      'getRequest',
      'updateRequest',
      'claimApproved',
      'revokeGrantAndUpdateRequest',
    ]);
    expect((await shared.getRequest(id))?.status).toBe('executed');
  });
});
