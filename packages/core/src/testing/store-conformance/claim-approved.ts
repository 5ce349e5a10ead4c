// Store cases for claimApproved: a claim without a read is a compare-and-set on the stored approval, or nothing.
import type { ClaimExpectation, Store } from '../../contracts/store.js';
import type { ApprovalRequest } from '../../model/approval.js';
import { grantRecordSchema } from '../../model/grants.js';
import { SAMPLE_TIME, sampleDraft, sampleGrant, sampleRequest } from '../fixtures.js';
import type { StoreCases } from './store-cases.js';

/** An approval, decided a second after it was asked, claimable until its own deadline. */
function approval(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return sampleRequest({ status: 'approved', decidedAt: SAMPLE_TIME + 1000, ...overrides });
}

/** What the guard that created `request` expects of it, at `now`. */
function expectationOf(request: ApprovalRequest, now = SAMPLE_TIME + 2000): ClaimExpectation {
  const { fingerprint, sessionId, actor, onBehalfOf, reason, ruleId, action } = request;
  return { fingerprint, sessionId, actor, onBehalfOf, reason, ruleId, action, now };
}

/** Claims `request` with a new grant; checks that a refused claim wrote nothing at all. */
async function refusedClaim(
  cases: StoreCases,
  store: Store,
  request: ApprovalRequest,
  expected: ClaimExpectation,
): Promise<void> {
  const { expect } = cases;
  const grant = sampleGrant({ requestId: request.id });
  const before = await store.getRequest(request.id);
  expect(await store.claimApproved!(request.id, expected, grant, [sampleDraft('granted')])).toBeNull();
  expect(await store.getGrantByTokenHash(grant.tokenHash)).toBeNull();
  expect(await store.getRequest(request.id)).toEqual(before);
}

/** `claimApproved`, if the store has it: one winner, and nothing written for anything but an unclaimed approval of this call. */
export function claimApprovedCases(cases: StoreCases): void {
  const { test, expect, racers } = cases;

  test('claimApproved, if present, claims an approval: version + 1, its grant, its entries', async (store) => {
    if (!store.claimApproved) return;
    const request = approval();
    await store.createRequest(request, []);
    const grant = sampleGrant({ requestId: request.id });
    const claimed = await store.claimApproved(request.id, expectationOf(request), grant, [
      sampleDraft('granted'),
    ]);
    expect(claimed).toEqual({ ...request, version: 2, grantId: grant.id });
    expect(await store.getRequest(request.id)).toEqual(claimed);
    expect(grantRecordSchema.parse(await store.getGrantByTokenHash(grant.tokenHash))).toEqual(grant);
    expect((await store.readAudit(0, 10)).map((entry) => entry.type)).toEqual(['granted']);
  });

  test('claimApproved, if present, claims nothing that is not an unclaimed approval of this call in time', async (store) => {
    if (!store.claimApproved) return;
    for (const status of ['pending', 'denied', 'expired', 'executed'] as const) {
      const request = approval({ status, decidedAt: status === 'pending' ? null : SAMPLE_TIME + 1000 });
      await store.createRequest(request, []);
      await refusedClaim(cases, store, request, expectationOf(request));
    }
    const claimedAlready = approval({ grantId: 'grt_earlier' });
    await store.createRequest(claimedAlready, []);
    await refusedClaim(cases, store, claimedAlready, expectationOf(claimedAlready));
    const request = approval();
    await store.createRequest(request, []);
    const expected = expectationOf(request);
    const others: Partial<ClaimExpectation>[] = [
      { fingerprint: 'f'.repeat(64) },
      { sessionId: 'sess_other' },
      { actor: 'agent:other' },
      { onBehalfOf: null },
      { reason: 'another reason' },
      { ruleId: 'other-rule' },
      // An approver's edit: the approval is of a narrower call than this one.
      { action: { ...request.action, params: { ...request.action.params, limit: 1 } } },
      // Its claim deadline is the request's own (later than a grant lifetime after the decision).
      { now: request.expiresAt },
    ];
    for (const other of others) await refusedClaim(cases, store, request, { ...expected, ...other });
    await refusedClaim(cases, store, { ...request, id: 'req_missing' }, expected);
    expect(await store.readAudit(0, 100)).toEqual([]);
    // Still claimable by the call it is for.
    const grant = sampleGrant({ requestId: request.id });
    expect((await store.claimApproved(request.id, expected, grant, []))?.grantId).toBe(grant.id);
  });

  test('claimApproved, if present: of concurrent claims one wins, with its grant only', async (store) => {
    if (!store.claimApproved) return;
    const request = approval();
    await store.createRequest(request, []);
    const grants = Array.from({ length: racers }, () => sampleGrant({ requestId: request.id }));
    const results = await Promise.all(
      grants.map((grant) =>
        store.claimApproved!(request.id, expectationOf(request), grant, [sampleDraft('granted')]),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    const created = await Promise.all(grants.map((grant) => store.getGrantByTokenHash(grant.tokenHash)));
    expect(created.filter((g) => g !== null).map((g) => g?.id)).toEqual([winners[0]?.grantId]);
    expect(await store.readAudit(0, 1000)).toHaveLength(1);
    // Nor does a claim by version succeed once it is claimed.
    const late = sampleGrant({ requestId: request.id });
    const byVersion = store.updateRequestAndCreateGrant?.(
      { ...request, version: 2, grantId: late.id },
      [],
      late,
    );
    expect((await byVersion) ?? null).toBeNull();
  });
}
