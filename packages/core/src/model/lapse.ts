// When a request nobody closes lapses, and the change that closes it: the one rule every sweeper applies.
import { type ApprovalRequest, EXPIRED_REASON } from './approval.js';
import { type AuditDraft, grantDraft, requestDraft } from './audit.js';
import type { GrantRecord } from './grants.js';

/** `closedReason` of an approval no process claimed before its claim deadline. */
export const UNUSED_APPROVAL_REASON = 'approved but not used before its claim deadline';

/**
 * Until when an approval can still be claimed to run its action: the request's own deadline, or
 * one grant lifetime after the decision if that is later. An approval so outlives the call that
 * asked for it (open now, decide later, resume anywhere before the deadline), while the grant it
 * turns into, once claimed, lives only `grantTtlMs`.
 */
export function claimDeadline(request: ApprovalRequest): number {
  return Math.max(request.expiresAt, (request.decidedAt ?? 0) + request.grantTtlMs);
}

/** `closedReason` of an approval whose action started but whose outcome was never recorded. */
export const STRANDED_REASON = 'outcome unknown: the process running it stopped';

/** The change that closes a lapsed request, as core writes it; store sweepers write the same. */
export interface Lapse {
  /** The request to store: closed, `version` + 1. */
  next: ApprovalRequest;
  /** The request's audit draft (`expired` or `failed`), written with `next`. */
  audit: AuditDraft[];
  /**
   * For an approval whose action started: its grant, to revoke with `audit` in the same atomic
   * step (the revocation's drafts first in the chain), and only if not revoked already.
   */
  revoke: { id: string; audit: AuditDraft[] } | null;
}

/**
 * The instant from which a sweeper closes `request`, or null for a request no sweeper closes. A
 * pending request lapses at its deadline. An approval must be claimed by its {@link claimDeadline}
 * (a guard refuses later claims), so one never claimed lapses then; one claimed was granted at the
 * latest then, for at most `grantTtlMs`, so one grant lifetime later its grant has expired
 * whichever moment it was claimed, and the store holds no outcome for it.
 */
export function lapsesAt(request: ApprovalRequest): number | null {
  switch (request.status) {
    case 'pending':
      return request.expiresAt;
    case 'approved':
      return claimDeadline(request) + (request.grantId === null ? 0 : request.grantTtlMs);
    default:
      return null;
  }
}

/**
 * How `request` closes at `at` because nobody closed it in time, or null when it has not lapsed.
 * A pending request expires. An approval never claimed expires: its action cannot have run. An
 * approval whose action started ends `failed`, not `expired`: `executed` and `failed` are the
 * states of a request whose action started, which is what a guard re-attaching with the same
 * idempotency key must be told (`AlreadyStartedError`, never a fresh request that could run it
 * twice), and `failed` is the one of them that claims no success; `closedReason` says the outcome
 * is unknown. Its grant is revoked with it.
 */
export function lapse(request: ApprovalRequest, at: number): Lapse | null {
  const due = lapsesAt(request);
  if (due === null || at < due) return null;
  const grantId = request.status === 'approved' ? request.grantId : null;
  const status = grantId === null ? 'expired' : 'failed';
  const closedReason =
    request.status === 'pending'
      ? EXPIRED_REASON
      : grantId === null
        ? UNUSED_APPROVAL_REASON
        : STRANDED_REASON;
  const next: ApprovalRequest = { ...request, version: request.version + 1, status, closedReason };
  const revoke =
    grantId === null
      ? null
      : { id: grantId, audit: [requestDraft('revoked', request, at, { detail: STRANDED_REASON })] };
  return { next, audit: [requestDraft(status, request, at, { detail: closedReason })], revoke };
}

/** `detail` of a grant a sweeper revoked: it expired with no outcome recorded for its action. */
export const UNENDED_GRANT_REASON = 'expired with no outcome recorded: the process running it stopped';

/**
 * The `revoked` entry a sweeper writes, at `at`, for a grant that expired unrevoked, or null when
 * it has not expired. An expired grant can no longer be consumed, so its `consumedAt` read here is
 * final, and the entry records it: a consumption is never left out of the chain by a crash.
 */
export function lapseGrant(grant: GrantRecord, at: number): AuditDraft | null {
  if (grant.revokedAt !== null || grant.expiresAt > at) return null;
  return grantDraft('revoked', grant, at, { detail: UNENDED_GRANT_REASON, consumedAt: grant.consumedAt });
}
