// Records read back from a store, checked before core acts on them, and the next version of a request.
import type { z } from 'zod';
import { CorruptRecordError } from '../lib/errors.js';
import { type ApprovalRequest, approvalRequestSchema, canTransition } from '../model/approval.js';
import { type GrantRecord, grantRecordSchema } from '../model/grants.js';
import { checkStored, frozenParts, plainGrant, plainRequest } from '../model/record-checks.js';
import { formatIssues } from '../model/schemas.js';

export function checkRequest(raw: unknown): ApprovalRequest {
  return checkRecord(raw, plainRequest, approvalRequestSchema, 'approval request');
}

export function checkGrant(raw: unknown): GrantRecord {
  return checkRecord(raw, plainGrant, grantRecordSchema, 'grant');
}

/** A record read back from a store: the hand check first, then the schema; corrupt fails closed. */
function checkRecord<T>(
  raw: unknown,
  plain: (raw: unknown) => T | null,
  schema: z.ZodType<T>,
  what: string,
): T {
  return checkStored(what, () => {
    const fast = plain(raw);
    if (fast !== null) return fast;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new CorruptRecordError(what, formatIssues(parsed.error));
    return parsed.data;
  });
}

/** The next version of `current`, refusing a transition the state machine does not allow. */
export function nextVersion(current: ApprovalRequest, changes: Partial<ApprovalRequest>): ApprovalRequest {
  const next = withChanges(current, changes);
  if (next.status !== current.status && !canTransition(current.status, next.status)) {
    throw new Error(`illegal transition ${current.status} -> ${next.status}`);
  }
  return frozenParts(next);
}

/** `{ ...current, ...changes, version + 1 }` as one fixed-shape literal: a spread of a frozen record is slow and large. */
function withChanges(current: ApprovalRequest, changes: Partial<ApprovalRequest>): ApprovalRequest {
  const pick = <K extends keyof ApprovalRequest>(key: K): ApprovalRequest[K] =>
    (key in changes ? changes[key] : current[key]) as ApprovalRequest[K];
  return {
    id: pick('id'),
    version: current.version + 1,
    status: pick('status'),
    fingerprint: pick('fingerprint'),
    action: pick('action'),
    actor: pick('actor'),
    onBehalfOf: pick('onBehalfOf'),
    reason: pick('reason'),
    sessionId: pick('sessionId'),
    idempotencyKey: pick('idempotencyKey'),
    risk: pick('risk'),
    ruleId: pick('ruleId'),
    approvers: pick('approvers'),
    quorum: pick('quorum'),
    grantTtlMs: pick('grantTtlMs'),
    decisions: pick('decisions'),
    deliveries: pick('deliveries'),
    createdAt: pick('createdAt'),
    expiresAt: pick('expiresAt'),
    decidedAt: pick('decidedAt'),
    grantId: pick('grantId'),
    closedReason: pick('closedReason'),
  };
}
