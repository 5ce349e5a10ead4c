// Store cases for ending a grant and updating its request in one call, each part on its own conditions.
import { toJsonLines } from '../../model/audit.js';
import { verifyAuditLog } from '../../model/audit-verify.js';
import { SAMPLE_TIME, sampleDraft, sampleGrant, sampleRequest } from '../fixtures.js';
import type { StoreCases } from './store-cases.js';

/** `revokeGrantAndUpdateRequest`, if the store has it. */
export function revokeAndUpdateCases(cases: StoreCases): void {
  const { test, expect } = cases;
  test('revokeGrantAndUpdateRequest, if present, applies each part on its own conditions', async (store) => {
    if (!store.revokeGrantAndUpdateRequest) return;
    const types = async () => (await store.readAudit(0, 100)).map((entry) => entry.detail);
    const request = sampleRequest({ status: 'approved' });
    await store.createRequest(request, []);
    const grant = sampleGrant({ requestId: request.id });
    await store.createGrant(grant, []);
    const revoke = (id: string, detail: string) => ({
      id,
      now: SAMPLE_TIME + 5,
      audit: [sampleDraft('revoked', detail)],
    });
    const update = (version: number, detail: string) => ({
      next: { ...request, version, status: 'executed' as const, closedReason: detail },
      audit: [sampleDraft('executed', detail)],
    });
    // Both apply: the revocation's drafts first.
    const both = await store.revokeGrantAndUpdateRequest(revoke(grant.id, 'r1'), update(2, 'u1'));
    expect(both.grant?.revokedAt).toBe(SAMPLE_TIME + 5);
    expect(both.request?.closedReason).toBe('u1');
    expect(await types()).toEqual(['r1', 'u1']);
    // Neither: the grant is already revoked and the version moved on.
    const neither = await store.revokeGrantAndUpdateRequest(revoke(grant.id, 'r2'), update(2, 'u2'));
    expect(neither).toEqual({ grant: null, request: null });
    // The grant alone: revoked even though the request moved on.
    const other = sampleGrant({ requestId: request.id });
    await store.createGrant(other, []);
    const grantOnly = await store.revokeGrantAndUpdateRequest(revoke(other.id, 'r3'), update(2, 'u3'));
    expect(grantOnly.grant?.id).toBe(other.id);
    expect(grantOnly.request).toBeNull();
    // The request alone: an unknown grant does not stop the update.
    const requestOnly = await store.revokeGrantAndUpdateRequest(revoke('grt_missing', 'r4'), update(3, 'u4'));
    expect(requestOnly.grant).toBeNull();
    expect(requestOnly.request?.version).toBe(3);
    expect(await types()).toEqual(['r1', 'u1', 'r3', 'u4']);
    const entries = await store.readAudit(0, 100);
    expect(verifyAuditLog(toJsonLines(entries)).ok).toBe(true);
  });
}
