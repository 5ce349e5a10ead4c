import { SYNC_STORE, sealAuditEntries } from '@countersign/core';
import { runStoreConformance, sampleDraft, sampleGrant, sampleRequest } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import { createMemoryStore } from '../src/index.js';

runStoreConformance({ describe, test, expect }, { create: () => createMemoryStore() });

describe('memory store', () => {
  test('records it returns cannot be edited in place', async () => {
    const store = createMemoryStore();
    const request = sampleRequest();
    await store.createRequest(request, []);
    const read = (await store.getRequest(request.id))!;
    expect(() => {
      (read as { status: string }).status = 'approved';
    }).toThrow(TypeError);
    expect(() => (read.approvers as string[]).push('user:mallory')).toThrow(TypeError);
    expect((await store.getRequest(request.id))?.status).toBe('pending');
  });

  test('stores a deep copy: editing what was passed in changes nothing stored', async () => {
    const store = createMemoryStore();
    const request = sampleRequest();
    await store.createRequest(request, []);
    (request.action.params as { table: string }).table = 'secrets';
    request.approvers.push('user:mallory');
    const read = (await store.getRequest(request.id))!;
    expect(read.action.params.table).toBe('customers');
    expect(read.approvers).toEqual(['user:bob', 'user:carol']);
    expect(Object.isFrozen(read.action.params.nested)).toBe(true);
  });

  test('deep-frozen parts are shared, not copied, and mutable parts are copied', async () => {
    const store = createMemoryStore();
    const base = sampleRequest();
    const action = Object.freeze({
      ...base.action,
      params: Object.freeze({ table: 'customers' }),
      redactedPaths: Object.freeze([]) as unknown as string[],
    });
    const request = { ...base, action };
    await store.createRequest(request, []);
    const read = (await store.getRequest(request.id))!;
    expect(read.action).toBe(action);
    expect(read.approvers).not.toBe(request.approvers);
    const shallow = sampleRequest();
    const shallowAction = Object.freeze({ ...shallow.action });
    await store.createRequest({ ...shallow, action: shallowAction }, []);
    const copied = (await store.getRequest(shallow.id))!;
    expect(copied.action).not.toBe(shallowAction);
    expect(Object.isFrozen(copied.action.params)).toBe(true);
  });

  test('an update shares the members it kept from the stored version and freezes copies of the rest', async () => {
    const store = createMemoryStore();
    const request = sampleRequest();
    await store.createRequest(request, []);
    const first = (await store.getRequest(request.id))!;
    const receipt = { transport: 'slack', ref: { ts: '1.2' } as Record<string, string>, at: 5 };
    const next = { ...first, version: 2, deliveries: [receipt] };
    await store.updateRequest(next, []);
    receipt.ref.ts = 'forged';
    next.deliveries.push({ transport: 'x', ref: {}, at: 6 });
    const second = (await store.getRequest(request.id))!;
    expect(second.action).toBe(first.action);
    expect(second.approvers).toBe(first.approvers);
    expect(second.deliveries).toEqual([{ transport: 'slack', ref: { ts: '1.2' }, at: 5 }]);
    expect(Object.isFrozen(second.deliveries[0]!.ref)).toBe(true);
    expect(Object.isFrozen(second)).toBe(true);
  });

  test('retention drops the oldest settled requests and finished grants, never pending ones', async () => {
    const store = createMemoryStore({ retention: { maxSettledRequests: 2, maxFinishedGrants: 1 } });
    const pending = sampleRequest();
    await store.createRequest(pending, []);
    const settled = [];
    for (let i = 0; i < 3; i++) {
      const request = sampleRequest({ idempotencyKey: `k${i}` });
      await store.createRequest(request, []);
      await store.updateRequest({ ...request, version: 2, status: 'denied' }, []);
      settled.push(request);
    }
    expect(await store.getRequest(settled[0]!.id)).toBeNull();
    expect(await store.findRequestByIdempotencyKey(settled[0]!.actor, 'k0')).toBeNull();
    expect(await store.getRequest(settled[2]!.id)).not.toBeNull();
    expect(await store.getRequest(pending.id)).not.toBeNull();
    const [a, b] = [sampleGrant(), sampleGrant()];
    for (const grant of [a, b]) {
      await store.createGrant(grant, []);
      await store.revokeGrant(grant.id, 1, []);
    }
    expect(await store.getGrantByTokenHash(a.tokenHash)).toBeNull();
    expect(await store.getGrantByTokenHash(b.tokenHash)).not.toBeNull();
  });

  test('a combined revoke and update that cannot store its request writes nothing at all', async () => {
    const store = createMemoryStore();
    const request = sampleRequest({ status: 'approved' });
    await store.createRequest(request, []);
    const grant = sampleGrant({ requestId: request.id });
    await store.createGrant(grant, []);
    // structuredClone cannot copy a function inside a Map: the request's copy fails.
    const receipt = { transport: 'x', ref: new Map([['id', () => 'not data']]), at: 1 };
    const next = { ...request, version: 2, status: 'executed' as const, deliveries: [receipt] };
    await expect(
      store.revokeGrantAndUpdateRequest!(
        { id: grant.id, now: 5, audit: [sampleDraft('revoked')] },
        { next: next as never, audit: [sampleDraft('executed')] },
      ),
    ).rejects.toThrow();
    expect((await store.getGrantByTokenHash(grant.tokenHash))?.revokedAt).toBeNull();
    expect((await store.getRequest(request.id))?.version).toBe(1);
    expect(await store.readAudit(0, 10)).toEqual([]);
  });

  test('audit retention keeps the newest entries, still chained', async () => {
    const store = createMemoryStore({ retention: { maxAuditEntries: 10 } });
    for (let i = 0; i < 35; i++) await store.appendAudit([sampleDraft('decided', `e${i}`)]);
    const kept = await store.readAudit(0, 100);
    expect(kept.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 26 + i));
    expect(await store.readAudit(30, 2)).toEqual(kept.slice(5, 7));
    const resealed = sealAuditEntries(
      { seq: 25, hash: kept[0]!.prevHash },
      kept.map(({ seq: _s, prevHash: _p, hash: _h, ...d }) => d),
    );
    expect(resealed).toEqual(kept);
  });
});

describe('synchronous grant writes (SYNC_STORE)', () => {
  test('belong to this very store object, so a wrapper around it is never bypassed', () => {
    const store = createMemoryStore();
    const sync = (store as unknown as Record<symbol, { owner: unknown }>)[SYNC_STORE];
    expect(sync?.owner).toBe(store);
    const wrapped = { ...store };
    expect((wrapped as unknown as Record<symbol, { owner: unknown }>)[SYNC_STORE]?.owner).not.toBe(wrapped);
  });
});
