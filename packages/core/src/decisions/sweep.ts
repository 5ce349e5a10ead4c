// Core's sweeper: closes requests nobody else will, pending ones past their deadline and stranded approvals.

import type { ApprovalRequest, RequestStatus } from '../model/approval.js';
import { type Lapse, lapse, lapseGrant } from '../model/lapse.js';
import { checkList } from '../model/record-checks.js';
import type { Runtime } from '../runtime/runtime.js';
import { checkGrant, checkRequest } from '../runtime/stored-records.js';

/**
 * Closes, at the runtime's clock, up to `limit` grants that expired unrevoked (see
 * {@link lapseGrant}; stores with `listUnrevokedGrants`), up to `limit` pending requests past
 * their deadline and up to `limit` approvals whose grant lifetime has passed (see {@link lapse}), each with a
 * compare-and-set, so concurrent sweepers and the processes running the requests close each at
 * most once; then reaps up to `limit` credentials whose grant expired unrevoked (see
 * the features' `onSweep`, e.g. credentials). Returns how many this call closed and reaped.
 */
export async function sweepLapsed(runtime: Runtime, limit: number): Promise<number> {
  const now = runtime.now();
  // Grants first: a stranded approval's grant is then revoked with its consumption time recorded.
  let closed = await closeGrants(runtime, limit, now);
  const list = async (status: RequestStatus, expiresAtOrBefore?: number) =>
    checkList(
      await runtime.call('listRequests', () =>
        runtime.store.listRequests({ status, expiresAtOrBefore, limit }),
      ),
      'listRequests',
    );
  // An approval's expiresAt is its old decision deadline, unrelated to its grant's lifetime.
  const candidates = [...(await list('pending', now)), ...(await list('approved'))];
  for (const raw of candidates) {
    const request = checkRequest(raw);
    const change = lapse(request, now);
    if (change !== null && (await close(runtime, request, change, now)) !== null) closed += 1;
  }
  return closed + (await runtime.options.features.onSweep(runtime, limit));
}

const LATE_CONSUMPTION = 'consumed after the sweeper listed the grant as expired (process clocks apart)';

/** Revokes and audits grants whose process stopped before ending them; each at most once. */
async function closeGrants(runtime: Runtime, limit: number, now: number): Promise<number> {
  const { store } = runtime;
  if (!store.listUnrevokedGrants) return 0;
  const grants = await runtime.call('listUnrevokedGrants', () =>
    store.listUnrevokedGrants!({ expiresAtOrBefore: now, limit }),
  );
  let closed = 0;
  for (const raw of checkList(grants, 'listUnrevokedGrants')) {
    const draft = lapseGrant(checkGrant(raw), now);
    if (draft === null) continue;
    const grantId = draft.grantId!;
    const revoked = await runtime.revokeGrant(grantId, now, [draft]);
    if (revoked === null) continue;
    runtime.emit([draft], null);
    closed += 1;
    // A process whose clock lags this one's could still consume it after the listing: then the
    // store's answer has the time, and the chain gets it too.
    const after = revoked.consumedAt;
    if (after !== null && after !== draft.consumedAt) {
      const late = {
        ...draft,
        type: 'consumed' as const,
        at: after,
        consumedAt: after,
        detail: LATE_CONSUMPTION,
      };
      await runtime.append([late], null);
    }
  }
  return closed;
}

/** Writes `change`; null when another writer changed the request first. */
async function close(
  runtime: Runtime,
  request: ApprovalRequest,
  change: Lapse,
  now: number,
): Promise<ApprovalRequest | null> {
  const changes = { status: change.next.status, closedReason: change.next.closedReason };
  const { revoke } = change;
  if (revoke === null) return runtime.update(request, changes, change.audit);
  if (runtime.store.revokeGrantAndUpdateRequest) {
    return runtime.updateAndRevokeGrant(request, changes, change.audit, {
      id: revoke.id,
      now,
      drafts: revoke.audit,
    });
  }
  // Without the combined step, the grant first, as that step orders them; each applies at most once.
  const revoked = await runtime.revokeGrant(revoke.id, now, revoke.audit);
  if (revoked !== null) runtime.emit(revoke.audit, request);
  return runtime.update(request, changes, change.audit);
}
