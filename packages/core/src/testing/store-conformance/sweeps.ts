// Store cases for sweeping, by core's sweep() and the store's own sweeper: lapsed grants and approvals closed once.

import type { Store } from '../../contracts/store.js';
import { createCountersign } from '../../instance/countersign.js';
import { type ApprovalRequest, approvalRequestSchema } from '../../model/approval.js';
import { toJsonLines } from '../../model/audit.js';
import { verifyAuditLog } from '../../model/audit-verify.js';
import { STRANDED_REASON, UNENDED_GRANT_REASON, UNUSED_APPROVAL_REASON } from '../../model/lapse.js';
import { sampleGrant, sampleRequest } from '../fixtures.js';
import { createRecordingTransport } from '../recording-transport.js';
import { createTestClock } from '../test-clock.js';
import { HOUR, type StoreCases } from './store-cases.js';

/**
 * An approval decided `decidedAgo` before `now`, with a one-hour grant lifetime, and when `claimedAgo`
 * is given, claimed then: the grant it was given, consumed at once.
 */
function sampleApproval(now: number, decidedAgo: number, claimedAgo?: number) {
  const grant =
    claimedAgo === undefined
      ? null
      : sampleGrant({
          issuedAt: now - claimedAgo,
          expiresAt: now - claimedAgo + HOUR,
          consumedAt: now - claimedAgo,
        });
  const request = sampleRequest({
    status: 'approved',
    createdAt: now - decidedAgo - 60_000,
    expiresAt: now - decidedAgo + HOUR,
    decidedAt: now - decidedAgo,
    decisions: [
      { approver: 'user:bob', outcome: 'approve', comment: null, via: 'api', at: now - decidedAgo - 1000 },
      { approver: 'user:carol', outcome: 'approve', comment: null, via: 'api', at: now - decidedAgo },
    ],
    grantTtlMs: HOUR,
    grantId: grant?.id ?? null,
  });
  return { request, grant: grant === null ? null : { ...grant, requestId: request.id } };
}

/** Writes approvals as a guard would have left them, grants included. */
async function storeApprovals(store: Store, approvals: ReturnType<typeof sampleApproval>[]): Promise<void> {
  for (const { request, grant } of approvals) {
    await store.createRequest(request, []);
    if (grant !== null) await store.createGrant(grant, []);
  }
}

/** Each sweeper's cases: core's `sweep()`, then `ownSweep` (the store's own sweeper) when given. */
export function sweepCases(
  cases: StoreCases,
  ownSweep: ((store: Store) => Promise<unknown>) | undefined,
): void {
  const { test, expect } = cases;
  /** Core's `sweep()` at `now`, and the store's own sweeper (on its own clock) when it has one. */
  const sweepers: [string, (store: Store, now: number) => Promise<unknown>][] = [
    [
      "core's sweep()",
      (store, now) =>
        createCountersign({
          store,
          policy: [],
          clock: createTestClock(now),
          transports: [createRecordingTransport()],
        }).sweep(),
    ],
  ];
  if (ownSweep) sweepers.push(["the store's own sweeper", (store) => ownSweep(store)]);
  const summary = (
    entries: { type: string; requestId: string | null; grantId: string | null; detail: string | null }[],
  ) => entries.map(({ type, requestId, grantId, detail }) => [type, requestId, grantId, detail]);

  // A sweeper that can list grants expired unrevoked revokes them first, with lapseGrant()'s
  // entry: a stranded approval's grant is then closed with its consumption time recorded.
  const revokesGrantsFirst = (store: Store) => store.listUnrevokedGrants !== undefined;

  for (const [sweeper, sweep] of sweepers) {
    test(`${sweeper} revokes, if the store lists them, grants that expired unrevoked, once, recording their consumption`, async (store) => {
      if (!revokesGrantsFirst(store)) return;
      const now = Date.now();
      const expired = sampleGrant({
        issuedAt: now - 2 * HOUR,
        expiresAt: now - HOUR,
        consumedAt: now - 2 * HOUR + 5,
      });
      const unused = sampleGrant({ issuedAt: now - 2 * HOUR, expiresAt: now - HOUR + 1 });
      const ended = sampleGrant({
        issuedAt: now - 2 * HOUR,
        expiresAt: now - HOUR,
        revokedAt: now - HOUR - 1,
      });
      const live = sampleGrant({ issuedAt: now - 60_000, expiresAt: now + HOUR });
      for (const grant of [expired, unused, ended, live]) await store.createGrant(grant, []);

      await sweep(store, now);

      for (const closed of [expired, unused]) {
        const revokedAt = (await store.getGrantByTokenHash(closed.tokenHash))?.revokedAt ?? 0;
        expect(revokedAt).toBeGreaterThan(closed.expiresAt - 1);
      }
      expect((await store.getGrantByTokenHash(ended.tokenHash))?.revokedAt).toBe(ended.revokedAt);
      expect((await store.getGrantByTokenHash(live.tokenHash))?.revokedAt).toBeNull();
      const entries = await store.readAudit(0, 100);
      expect(summary(entries)).toEqual([
        ['revoked', null, expired.id, UNENDED_GRANT_REASON],
        ['revoked', null, unused.id, UNENDED_GRANT_REASON],
      ]);
      expect(entries.map((entry) => entry.consumedAt)).toEqual([expired.consumedAt, null]);
      expect(entries.map((entry) => entry.actor)).toEqual([expired.actor, unused.actor]);
      expect(verifyAuditLog(toJsonLines(entries)).ok).toBe(true);

      await sweep(store, now);
      expect(await store.readAudit(0, 100)).toHaveLength(2);
    });

    test(`${sweeper} closes an approval whose action started once its grant lifetime has passed: failed, grant revoked, both audited`, async (store) => {
      const now = Date.now();
      const stranded = sampleApproval(now, 3 * HOUR, 3 * HOUR - 60_000);
      // Claimed 30 minutes ago, when its decision was 60 minutes old: its grant is still live.
      const running = sampleApproval(now, 1.5 * HOUR, 0.5 * HOUR);
      const recent = sampleApproval(now, 60_000, 59_000);
      await storeApprovals(store, [stranded, running, recent]);

      await sweep(store, now);

      const closed = approvalRequestSchema.parse(await store.getRequest(stranded.request.id));
      const expected: ApprovalRequest = {
        ...stranded.request,
        version: 2,
        status: 'failed',
        closedReason: STRANDED_REASON,
      };
      expect(closed).toEqual(expected);
      const revokedAt = (await store.getGrantByTokenHash(stranded.grant!.tokenHash))?.revokedAt ?? 0;
      expect(revokedAt).toBeGreaterThan(stranded.grant!.expiresAt);
      for (const untouched of [running, recent]) {
        expect((await store.getRequest(untouched.request.id))?.status).toBe('approved');
        expect((await store.getGrantByTokenHash(untouched.grant!.tokenHash))?.revokedAt).toBeNull();
      }
      const entries = await store.readAudit(0, 100);
      const { id } = stranded.request;
      const grantId = stranded.grant!.id;
      const first = revokesGrantsFirst(store);
      expect(summary(entries)).toEqual([
        ['revoked', id, grantId, first ? UNENDED_GRANT_REASON : STRANDED_REASON],
        ['failed', id, grantId, STRANDED_REASON],
      ]);
      if (first) expect(entries[0]?.consumedAt).toBe(stranded.grant!.consumedAt);
      expect(entries[1]?.actor).toBe(stranded.request.actor);
      expect(verifyAuditLog(toJsonLines(entries)).ok).toBe(true);

      await sweep(store, now);
      expect(await store.readAudit(0, 100)).toHaveLength(2);
    });

    test(`${sweeper} expires an approval never claimed within its grant lifetime`, async (store) => {
      const now = Date.now();
      const unused = sampleApproval(now, 2 * HOUR);
      const fresh = sampleApproval(now, 60_000);
      await storeApprovals(store, [unused, fresh]);

      await sweep(store, now);

      expect(approvalRequestSchema.parse(await store.getRequest(unused.request.id))).toEqual({
        ...unused.request,
        version: 2,
        status: 'expired',
        closedReason: UNUSED_APPROVAL_REASON,
      });
      expect((await store.getRequest(fresh.request.id))?.status).toBe('approved');
      expect(summary(await store.readAudit(0, 100))).toEqual([
        ['expired', unused.request.id, null, UNUSED_APPROVAL_REASON],
      ]);
    });

    test(`${sweeper}: concurrent sweeps close a stranded approval once`, async (store) => {
      const now = Date.now();
      const stranded = sampleApproval(now, 3 * HOUR, 2.5 * HOUR);
      await storeApprovals(store, [stranded]);

      await Promise.all(Array.from({ length: 4 }, () => sweep(store, now)));

      expect((await store.getRequest(stranded.request.id))?.version).toBe(2);
      expect((await store.readAudit(0, 100)).map((entry) => entry.type)).toEqual(['revoked', 'failed']);
    });
  }
}
