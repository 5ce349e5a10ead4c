// Store cases for requests: exact round trips, idempotency keys, compare-and-set updates, listing.
import { approvalRequestSchema } from '../../model/approval.js';
import { SAMPLE_TIME, sampleDraft, sampleRequest } from '../fixtures.js';
import type { StoreCases } from './store-cases.js';

/** Creating, reading, updating and listing requests, and their races. */
export function requestCases(cases: StoreCases): void {
  const { test, expect, racers } = cases;
  test('round-trips a request exactly', async (store) => {
    const request = sampleRequest();
    const result = await store.createRequest(request, [sampleDraft()]);
    expect(result.created).toBe(true);
    const read = await store.getRequest(request.id);
    expect(approvalRequestSchema.parse(read)).toEqual(request);
  });

  test('returns null for an unknown request', async (store) => {
    expect(await store.getRequest('req_missing')).toBeNull();
    expect(await store.findRequestByIdempotencyKey('agent:x', 'missing')).toBeNull();
    expect(await store.updateRequest(sampleRequest({ id: 'req_missing', version: 2 }), [])).toBeNull();
  });

  test('a repeated idempotency key returns the existing request and writes nothing', async (store) => {
    const first = sampleRequest({ idempotencyKey: 'call_7' });
    await store.createRequest(first, [sampleDraft()]);
    const again = await store.createRequest(sampleRequest({ idempotencyKey: 'call_7' }), [sampleDraft()]);
    expect(again.created).toBe(false);
    expect(again.request.id).toBe(first.id);
    expect(await store.readAudit(0, 100)).toHaveLength(1);
    const found = await store.findRequestByIdempotencyKey(first.actor, 'call_7');
    expect(found?.id).toBe(first.id);
    const otherActor = await store.createRequest(
      sampleRequest({ idempotencyKey: 'call_7', actor: 'agent:other' }),
      [],
    );
    expect(otherActor.created).toBe(true);
  });

  test('concurrent creates with one idempotency key create exactly one request', async (store) => {
    const results = await Promise.all(
      Array.from({ length: racers }, () =>
        store.createRequest(sampleRequest({ idempotencyKey: 'race' }), [sampleDraft()]),
      ),
    );
    const created = results.filter((r) => r.created);
    expect(created).toHaveLength(1);
    expect(new Set(results.map((r) => r.request.id)).size).toBe(1);
    expect(await store.readAudit(0, 1000)).toHaveLength(1);
  });

  test('update is a compare-and-set on version', async (store) => {
    const request = sampleRequest();
    await store.createRequest(request, []);
    const next = { ...request, version: 2, status: 'denied' as const, closedReason: 'no' };
    expect(await store.updateRequest(next, [sampleDraft('denied')])).toEqual(next);
    const stale = { ...request, version: 2, status: 'approved' as const };
    expect(await store.updateRequest(stale, [sampleDraft('approved')])).toBeNull();
    const skipped = { ...request, version: 4 };
    expect(await store.updateRequest(skipped, [sampleDraft('approved')])).toBeNull();
    expect((await store.getRequest(request.id))?.status).toBe('denied');
    const types = (await store.readAudit(0, 100)).map((entry) => entry.type);
    expect(types).toEqual(['denied']);
  });

  test('concurrent updates of one version: exactly one wins, losers write nothing', async (store) => {
    const request = sampleRequest();
    await store.createRequest(request, []);
    const results = await Promise.all(
      Array.from({ length: racers }, (_, i) =>
        store.updateRequest({ ...request, version: 2, closedReason: `racer ${i}` }, [
          sampleDraft('decided', `racer ${i}`),
        ]),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    const audit = await store.readAudit(0, 1000);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.detail).toBe(winners[0]?.closedReason);
    expect((await store.getRequest(request.id))?.closedReason).toBe(winners[0]?.closedReason);
  });

  test('lists requests by status, soonest expiry first, within the limit', async (store) => {
    const late = sampleRequest({ expiresAt: SAMPLE_TIME + 3000 });
    const early = sampleRequest({ expiresAt: SAMPLE_TIME + 1000 });
    const future = sampleRequest({ expiresAt: SAMPLE_TIME + 9000 });
    const denied = sampleRequest({ status: 'denied', expiresAt: SAMPLE_TIME });
    for (const r of [late, early, future, denied]) await store.createRequest(r, []);
    const due = await store.listRequests({
      status: 'pending',
      expiresAtOrBefore: SAMPLE_TIME + 5000,
      limit: 10,
    });
    expect(due.map((r) => r.id)).toEqual([early.id, late.id]);
    expect(await store.listRequests({ status: 'pending', limit: 1 })).toHaveLength(1);
  });
}
