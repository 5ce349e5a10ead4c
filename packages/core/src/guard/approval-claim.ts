// Claiming an approval without reading it first: one conditional store write, then the checks a read approval gets.

import type { ClaimExpectation } from '../contracts/store.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { CorruptRecordError } from '../lib/errors.js';
import { errorText, scrubText } from '../lib/redact.js';
import type { ApprovalRequest } from '../model/approval.js';
import { type AuditDraft, emptyDraft, grantDraft } from '../model/audit.js';
import type { Prepared } from '../model/call.js';
import type { GrantRecord } from '../model/grants.js';
import { claimDeadline } from '../model/lapse.js';
import type { Runtime } from '../runtime/runtime.js';
import { approvalProblems } from './approval-check.js';
import { decideCall } from './decide.js';
import { newGrant, runGranted } from './granted-run.js';
import { subjectDraft } from './prepared-call.js';

/** What a guard that created its request knows of it: enough to claim it without reading it. */
export interface ClaimBasis {
  readonly requestId: string;
  /** The rule the request was created under by this guard; null when it did not create it (then there is no claim first). */
  readonly claimRule: string | null;
  readonly grantTtlMs: number;
  /** Called once the approval is claimed and checked, before the action runs. */
  endDelivery(): void;
}

/**
 * Claims the approval of a request this guard created, in one store call (`claimApproved`), and
 * runs the action: the guard's outcome, or null when the store claimed nothing (not approved,
 * claimed already, narrowed by its approver, past its claim deadline), or when it cannot claim that way: the caller then reads the
 * request and acts on it as before. A NOTIFY may be forged, which is why the store decides: only
 * a stored approval is claimed. What the store returns is checked as a read approval is; if that
 * fails, the grant is revoked with a `refused` entry and nothing runs.
 */
export async function claimFirst(
  runtime: Runtime,
  prepared: Prepared,
  basis: ClaimBasis,
): Promise<{ value: unknown } | null> {
  const { requestId, claimRule: ruleId } = basis;
  if (ruleId === null || !runtime.store.claimApproved) return null;
  const grant = newGrant(runtime, prepared, requestId, ruleId, basis.grantTtlMs);
  const { record } = grant;
  const now = record.issuedAt;
  const expected: ClaimExpectation = {
    fingerprint: prepared.fingerprint,
    sessionId: prepared.sessionId,
    actor: prepared.actor,
    onBehalfOf: prepared.onBehalfOf,
    reason: prepared.reason,
    ruleId,
    action: prepared.action,
    now,
  };
  // The request as this guard created it, which the claim applies to only if it still is.
  const drafts: AuditDraft[] = [
    {
      ...emptyDraft('granted', now),
      requestId,
      grantId: record.id,
      actor: prepared.actor,
      onBehalfOf: prepared.onBehalfOf,
      sessionId: prepared.sessionId,
      action: prepared.action,
      fingerprint: prepared.fingerprint,
      ruleId,
      reason: prepared.reason,
      detail: grant.detail,
    },
  ];
  let claimed: ApprovalRequest | null;
  try {
    claimed = await runtime.claimApproved(requestId, expected, record, drafts);
  } catch (error) {
    // Claimed, but what the store returned is not a request: the grant must not outlive it.
    if (error instanceof CorruptRecordError) await refuse(runtime, prepared, ruleId, record, error);
    throw error;
  }
  if (claimed === null) return null;
  try {
    await checkClaimed(runtime, prepared, basis, claimed, record);
    await runtime.options.features.onClaim(runtime, prepared, claimed, false);
  } catch (error) {
    await refuse(runtime, prepared, ruleId, record, error);
    throw error;
  }
  basis.endDelivery();
  return { value: await runGranted(runtime, prepared, claimed, ruleId, basis.grantTtlMs, grant) };
}

/** Throws a CorruptRecordError unless `claimed` approves this exact call, claimed with `record`. */
async function checkClaimed(
  runtime: Runtime,
  prepared: Prepared,
  basis: ClaimBasis,
  claimed: ApprovalRequest,
  record: GrantRecord,
): Promise<void> {
  const { features } = runtime.options;
  const problems = approvalProblems(
    claimed,
    {
      requestId: basis.requestId,
      fingerprint: prepared.fingerprint,
      sessionId: prepared.sessionId,
      actor: prepared.actor,
      onBehalfOf: prepared.onBehalfOf,
      risk: features.riskRouting.size === 0 ? undefined : decideCall(runtime, prepared).route?.risk,
      onCall: await features.followUps.onCallNow(runtime, claimed),
      grantId: record.id,
    },
    runtime.options,
    runtime.now(),
  );
  // What the `granted` entry says of the request, and what the grant was made from, must be the record's.
  if (claimed.ruleId !== basis.claimRule || claimed.reason !== prepared.reason) {
    problems.push('is not the request this call created');
  }
  if (claimed.grantTtlMs !== basis.grantTtlMs)
    problems.push('has another grant lifetime than it was created with');
  if (claimDeadline(claimed) <= record.issuedAt) problems.push('was claimed after its claim deadline');
  if (
    claimed.action !== prepared.action &&
    canonicalJson(claimed.action) !== canonicalJson(prepared.action)
  ) {
    problems.push('approves another action than this call');
  }
  if (problems.length > 0) throw new CorruptRecordError('approval', problems);
}

/** Revokes the grant of a claim that failed its checks, with a `refused` entry: the action never runs. */
async function refuse(
  runtime: Runtime,
  prepared: Prepared,
  ruleId: string,
  record: GrantRecord,
  error: unknown,
): Promise<void> {
  const now = runtime.now();
  const why = scrubText(
    `${error instanceof CorruptRecordError ? 'corrupt record, ' : ''}not run: ${errorText(error)}`,
  );
  const refused: AuditDraft = {
    ...subjectDraft(runtime, 'refused', prepared, ruleId),
    requestId: record.requestId,
    detail: why.slice(0, 1000),
  };
  const drafts = [
    grantDraft('revoked', record, now, { detail: 'its claim was refused', consumedAt: null }),
    refused,
  ];
  try {
    const revoked = await runtime.revokeGrant(record.id, now, drafts);
    if (revoked !== null) runtime.emit(drafts, null);
    else await runtime.append([refused], null);
  } catch {
    // The error thrown is the refusal; the token never left this function, and the sweeper revokes the grant.
  }
}
