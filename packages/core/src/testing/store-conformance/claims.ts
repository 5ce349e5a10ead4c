// Store cases for claiming an approval: the request update and its grant, written together or not at all.
import { grantRecordSchema } from '../../model/grants.js';
import { sampleDraft, sampleGrant, sampleRequest } from '../fixtures.js';
import type { StoreCases } from './store-cases.js';

/** `updateRequestAndCreateGrant`, if the store has it: both or neither, one winner of racing claims. */
export function claimCases(cases: StoreCases): void {
  const { test, expect, racers } = cases;
  test('updateRequestAndCreateGrant, if present, writes both or neither', async (store) => {
    if (!store.updateRequestAndCreateGrant) return;
    const request = sampleRequest({ status: 'approved' });
    await store.createRequest(request, []);
    const grant = sampleGrant({ requestId: request.id });
    const next = { ...request, version: 2, grantId: grant.id };
    expect(await store.updateRequestAndCreateGrant(next, [sampleDraft('granted')], grant)).toEqual(next);
    expect(grantRecordSchema.parse(await store.getGrantByTokenHash(grant.tokenHash))).toEqual(grant);
    const late = sampleGrant({ requestId: request.id });
    const stale = { ...request, version: 2, grantId: late.id };
    expect(await store.updateRequestAndCreateGrant(stale, [sampleDraft('granted')], late)).toBeNull();
    expect(await store.getGrantByTokenHash(late.tokenHash)).toBeNull();
    expect((await store.getRequest(request.id))?.grantId).toBe(grant.id);
    expect((await store.readAudit(0, 10)).map((entry) => entry.type)).toEqual(['granted']);
  });

  test('updateRequestAndCreateGrant, if present: of concurrent claims one wins, with its grant only', async (store) => {
    if (!store.updateRequestAndCreateGrant) return;
    const request = sampleRequest({ status: 'approved' });
    await store.createRequest(request, []);
    const grants = Array.from({ length: racers }, () => sampleGrant({ requestId: request.id }));
    const results = await Promise.all(
      grants.map((grant) =>
        store.updateRequestAndCreateGrant!({ ...request, version: 2, grantId: grant.id }, [], grant),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    const created = await Promise.all(grants.map((grant) => store.getGrantByTokenHash(grant.tokenHash)));
    expect(created.filter((g) => g !== null).map((g) => g?.id)).toEqual([winners[0]?.grantId]);
  });
}
