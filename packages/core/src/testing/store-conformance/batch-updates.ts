// Store cases for batch decisions: several request updates written all together or not at all.
import { sampleDraft, sampleRequest } from '../fixtures.js';
import type { StoreCases } from './store-cases.js';

/** `updateRequests`, if the store has it: all or none, one winner of overlapping batches. */
export function batchUpdateCases(cases: StoreCases): void {
  const { test, expect, racers } = cases;
  test('updateRequests, if present, writes every update or none', async (store) => {
    if (!store.updateRequests) return;
    const [a, b, c] = [sampleRequest(), sampleRequest(), sampleRequest()];
    for (const request of [a, b, c]) await store.createRequest(request, []);
    await store.updateRequest({ ...c, version: 2 }, []);
    // c has moved on to version 2: the batch written over version 1 of each must write nothing.
    const stale = [a, b, c].map((request) => ({
      next: { ...request, version: 2, status: 'denied' as const },
      audit: [sampleDraft('denied')],
    }));
    expect(await store.updateRequests(stale)).toBeNull();
    expect((await store.getRequest(a.id))?.version).toBe(1);
    expect((await store.getRequest(b.id))?.version).toBe(1);
    expect(await store.readAudit(0, 10)).toEqual([]);
    const unknown = [
      { next: { ...a, version: 2 }, audit: [] },
      { next: sampleRequest({ version: 2 }), audit: [] },
    ];
    expect(await store.updateRequests(unknown)).toBeNull();
    expect((await store.getRequest(a.id))?.version).toBe(1);
    const fresh = [
      {
        next: { ...a, version: 2, status: 'denied' as const },
        audit: [sampleDraft('decided'), sampleDraft('denied')],
      },
      { next: { ...b, version: 2, status: 'denied' as const }, audit: [sampleDraft('decided')] },
    ];
    expect(await store.updateRequests(fresh)).toEqual(fresh.map((update) => update.next));
    expect((await store.getRequest(b.id))?.status).toBe('denied');
    expect((await store.readAudit(0, 10)).map((entry) => entry.type)).toEqual([
      'decided',
      'denied',
      'decided',
    ]);
  });

  test('updateRequests, if present: of concurrent overlapping batches exactly one wins', async (store) => {
    if (!store.updateRequests) return;
    const requests = [sampleRequest(), sampleRequest(), sampleRequest()];
    for (const request of requests) await store.createRequest(request, []);
    const results = await Promise.all(
      Array.from({ length: racers }, (_, i) => {
        // Every batch holds the three requests, in a different order each time.
        const order = i % 2 === 0 ? requests : [...requests].reverse();
        return store.updateRequests!(
          order.map((request) => ({ next: { ...request, version: 2, reason: `batch ${i}` }, audit: [] })),
        );
      }),
    );
    const winners = results.filter((result) => result !== null);
    expect(winners).toHaveLength(1);
    const reasons = new Set(
      await Promise.all(requests.map(async (r) => (await store.getRequest(r.id))?.reason)),
    );
    expect([...reasons]).toEqual([winners[0]![0]!.reason]);
  });
}
