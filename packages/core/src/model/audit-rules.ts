// What an audit entry's members may hold beyond their JSON types: the form of hashes, and what each type carries.
import type { AuditEntry, AuditType } from './audit.js';

/** What an entry of one type carries, as core writes it (docs/audit-format.md, "Members by type"). */
export interface AuditTypeRule {
  /** A vote's outcome, with `approver` and `via` not null; null: `outcome` is null. */
  vote: 'approve' | 'deny' | null;
  /** `consumedAt`: always null; the grant's consumption time or null; or equal to the entry's `at`. */
  consumedAt: 'null' | 'time or null' | 'at';
  /** `grantId` is not null: the step is about one grant. */
  grant: boolean;
}

const STEP: AuditTypeRule = { vote: null, consumedAt: 'null', grant: false };
const GRANT_STEP: AuditTypeRule = { vote: null, consumedAt: 'null', grant: true };
const GRANT_END: AuditTypeRule = { vote: null, consumedAt: 'time or null', grant: true };

/** One row per type, so a new type cannot be added without deciding what it carries. */
export const AUDIT_TYPE_RULES: Readonly<Record<AuditType, AuditTypeRule>> = {
  requested: STEP,
  delivered: STEP,
  delivery_failed: STEP,
  // A vote that did not settle its request: a deny always settles, so it is an approval.
  decided: { vote: 'approve', consumedAt: 'null', grant: false },
  refused: STEP,
  approved: { vote: 'approve', consumedAt: 'null', grant: false },
  denied: { vote: 'deny', consumedAt: 'null', grant: false },
  expired: STEP,
  cancelled: STEP,
  allowed: GRANT_STEP,
  policy_denied: STEP,
  granted: GRANT_STEP,
  consumed: { vote: null, consumedAt: 'at', grant: true },
  consume_refused: STEP,
  executed: GRANT_END,
  failed: GRANT_END,
  revoked: GRANT_END,
  credential_issued: STEP,
  credential_revoked: STEP,
  credential_reaped: STEP,
  reuse_opened: STEP,
  reused: STEP,
  reuse_revoked: STEP,
  reminded: STEP,
  escalated: STEP,
};

const HASH = /^[0-9a-f]{64}$/;

/** What is wrong with the form of an entry's hashes, or null: the chain can only link SHA-256 hex digests. */
export function hashFormProblem(entry: AuditEntry): string | null {
  if (!HASH.test(entry.prevHash)) return '"prevHash" must be 64 lowercase hex digits';
  if (!HASH.test(entry.hash)) return '"hash" must be 64 lowercase hex digits';
  if (entry.grantEntry != null && !HASH.test(entry.grantEntry.hash))
    return '"grantEntry.hash" must be 64 lowercase hex digits';
  return null;
}

/** The outcomes of a run, which may name the entry that issued their grant instead of repeating its action. */
export function isOutcome(type: AuditType): boolean {
  return type === 'executed' || type === 'failed';
}

/** Which member of `entry` its type does not allow, and why, or null. */
export function typeRuleProblem(entry: AuditEntry): string | null {
  const rule = AUDIT_TYPE_RULES[entry.type];
  const on = `on a "${entry.type}" entry`;
  if (rule.vote === null) {
    if (entry.outcome !== null) return `"outcome" must be null ${on}`;
  } else {
    if (entry.outcome !== rule.vote) return `"outcome" must be "${rule.vote}" ${on}`;
    if (entry.approver === null) return `"approver" must name who voted ${on}`;
    if (entry.via === null) return `"via" must name the channel of the vote ${on}`;
  }
  if (rule.consumedAt === 'null' && entry.consumedAt !== null) return `"consumedAt" must be null ${on}`;
  if (rule.consumedAt === 'at' && entry.consumedAt !== entry.at) {
    return `"consumedAt" must equal "at" ${on}`;
  }
  if (rule.grant && entry.grantId === null) return `"grantId" must name the grant ${on}`;
  if (entry.formatVersion === undefined) return null;
  if (!isOutcome(entry.type)) {
    if (entry.grantEntry !== null) return `"grantEntry" must be null ${on}`;
  } else if ((entry.action === null) === (entry.grantEntry === null)) {
    return `an outcome carries its "action" or names its "grantEntry", exactly one of them, ${on}`;
  }
  return null;
}
