// decide(): recording an approver's decision with every check, and auditing refusals.

import type { DecisionInput, DecisionResult } from '../contracts/transport.js';
import {
  AlreadyDecidedError,
  AlreadyVotedError,
  isCountersignError,
  NotEligibleError,
  RequestNotFoundError,
  SelfApprovalError,
  ValidationError,
} from '../lib/errors.js';
import { copyJsonParams, readMembers } from '../lib/input.js';
import { scrubText } from '../lib/redact.js';
import { type ApprovalRequest, approvalsOf, type Decision, EXPIRED_REASON } from '../model/approval.js';
import type { AuditDraft } from '../model/audit.js';
import { DECISION_KEYS, decisionInputSchema, parseInput, plainDecisionInput } from '../model/schemas.js';
import { isSelfApproval } from '../policy/approvers.js';
import { commentRequired, hasJustification } from '../policy/justification.js';
import { eligibleVoters } from '../policy/voters.js';
import type { Runtime } from '../runtime/runtime.js';

/** Lost compare-and-set races are retried; each retry means another writer made progress. */
const MAX_ATTEMPTS = 50;

export async function decide(
  runtime: Runtime,
  requestId: string,
  input: DecisionInput,
): Promise<DecisionResult> {
  if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 256) {
    throw new ValidationError('request id', ['must be the id string of an approval request']);
  }
  const members = readMembers(input, DECISION_KEYS, 'decision');
  const decision = plainDecisionInput(members) ?? parseInput(decisionInputSchema, members, 'decision');
  // Copied as plain JSON now: edited values are compared and stored later, long after this read.
  if (decision.edit !== undefined) decision.edit = copyJsonParams(decision.edit, 'decision', 'edit');
  const via = decision.via ?? 'api';
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const loaded = await runtime.load(requestId);
    // The usual vote passes every check at once; anything else (a refusal to audit, an expiry to
    // settle, an on-call lookup) takes checkDecidable's full path, which makes the same checks.
    const request = decidableNow(runtime, loaded, decision)
      ? loaded
      : await checkDecidable(runtime, requestId, loaded, decision, via);
    if (decision.justThisCall === true && decision.outcome === 'approve') {
      await runtime.options.features.keepToThisCall(runtime, request, decision.approver);
    }
    const step = decisionStep(runtime, request, decision, via);
    const saved = await runtime.update(request, step.changes, step.drafts);
    if (saved !== null) return { request: saved, approvals: step.approvals, quorum: saved.quorum };
  }
  throw new AlreadyDecidedError(requestId, 'contended');
}

/** A decision as `decide` and `decideBatch` read it, checked. */
export interface CheckedDecision {
  approver: string;
  outcome: 'approve' | 'deny';
  comment?: string | undefined;
  justThisCall?: boolean | undefined;
  edit?: Record<string, unknown> | undefined;
}

/**
 * The request, if `decision` may be recorded on it now; else throws what `decide` throws, with
 * self-approval, ineligibility and a missing required comment audited as `refused`.
 */
export async function checkDecidable(
  runtime: Runtime,
  requestId: string,
  request: ApprovalRequest | null,
  decision: CheckedDecision,
  via: string,
): Promise<ApprovalRequest> {
  if (request === null) throw new RequestNotFoundError(requestId);
  if (request.status !== 'pending') throw new AlreadyDecidedError(requestId, request.status);
  if (runtime.now() >= request.expiresAt) {
    await runtime.settle(request, 'expired', EXPIRED_REASON);
    throw new AlreadyDecidedError(requestId, 'expired');
  }
  if (isSelfApproval(decision.approver, request)) {
    await refuse(runtime, request, decision.approver, via, 'self-approval');
    throw new SelfApprovalError(requestId, decision.approver);
  }
  if (
    !request.approvers.includes(decision.approver) ||
    !(await mayVote(runtime, request, decision.approver))
  ) {
    await refuse(runtime, request, decision.approver, via, 'not an eligible approver');
    throw new NotEligibleError(requestId, decision.approver);
  }
  if (request.decisions.some((d) => d.approver === decision.approver)) {
    throw new AlreadyVotedError(requestId, decision.approver);
  }
  const rule = runtime.options.policy.ruleById(request.ruleId);
  if (commentRequired(rule, decision.outcome) && !hasJustification(decision.comment)) {
    await refuse(
      runtime,
      request,
      decision.approver,
      via,
      `no comment, which the rule requires to ${decision.outcome}`,
    );
    throw new ValidationError('decision', [
      `comment: rule "${request.ruleId}" requires a comment (a justification) to ${decision.outcome}`,
    ]);
  }
  if (decision.edit !== undefined) {
    try {
      if (decision.outcome !== 'approve')
        throw new ValidationError('decision', ['edit: only an approval can narrow a call']);
      runtime.options.features.editAction(rule, request, decision.edit);
    } catch (error) {
      const why = isCountersignError(error) ? error.message.replace(/^\[countersign\] /, '') : 'invalid edit';
      await refuse(runtime, request, decision.approver, via, why);
      throw error;
    }
  }
  return request;
}

/**
 * Whether `decision` may be recorded on `request` now with nothing to await: pending, unexpired,
 * not the actor's or principal's own, by one of its approvers whom the rule's (or risk tier's) or
 * escalation's list names, a first vote, with a comment when the rule requires one, no edit. False
 * sends the decision through {@link checkDecidable}, which refuses, settles or looks further.
 */
function decidableNow(
  runtime: Runtime,
  request: ApprovalRequest | null,
  decision: CheckedDecision,
): request is ApprovalRequest {
  if (request === null || request.status !== 'pending' || decision.edit !== undefined) return false;
  if (runtime.now() >= request.expiresAt || isSelfApproval(decision.approver, request)) return false;
  const { approver } = decision;
  if (!request.approvers.includes(approver)) return false;
  const rule = runtime.options.policy.ruleById(request.ruleId);
  if (rule?.effect === 'require_approval' && !namedVoter(runtime, request, approver)) return false;
  for (const earlier of request.decisions) if (earlier.approver === approver) return false;
  return !commentRequired(rule, decision.outcome) || hasJustification(decision.comment);
}

/**
 * `eligibleVoters(request, options, []).has(approver)` without building the set: the rule's (or
 * its risk tier's) approvers, or its escalation's.
 */
function namedVoter(runtime: Runtime, request: ApprovalRequest, approver: string): boolean {
  const { features, eligible } = runtime.options;
  const route = features.riskRouting.routeOf(request.ruleId, request.risk);
  if ((route?.eligible ?? eligible.get(request.ruleId) ?? NO_ONE).includes(approver)) return true;
  return features.followUps.escalationOf(request.ruleId).includes(approver);
}

const NO_ONE: readonly string[] = [];

/**
 * Whether the guard will count `approver`'s vote now (see {@link eligibleVoters}): someone the
 * request was escalated to and who is no longer on call is refused here, not after the vote.
 */
async function mayVote(runtime: Runtime, request: ApprovalRequest, approver: string): Promise<boolean> {
  const { options } = runtime;
  // A process without the request's rule (an approval server started without the agents' policy)
  // can check only the record's approvers; the guard, which has the rule, checks the rest.
  if (options.policy.ruleById(request.ruleId)?.effect !== 'require_approval') return true;
  if (namedVoter(runtime, request, approver)) return true;
  return eligibleVoters(request, options, await options.features.followUps.onCallFor(runtime, request)).has(
    approver,
  );
}

/** The changes and audit drafts that record `decision` on a decidable request. */
export function decisionStep(
  runtime: Runtime,
  request: ApprovalRequest,
  decision: CheckedDecision,
  via: string,
  detail: string | null = null,
): { changes: Partial<ApprovalRequest>; drafts: AuditDraft[]; approvals: number } {
  // Frozen here, as built: nextVersion then shares them rather than copying them to freeze.
  const recorded: Decision = Object.freeze({
    approver: decision.approver,
    outcome: decision.outcome,
    comment: decision.comment === undefined ? null : scrubText(decision.comment),
    via,
    at: runtime.now(),
  });
  const decisions = Object.freeze([...request.decisions, recorded]) as Decision[];
  let approvals = 0;
  for (const d of decisions) if (d.outcome === 'approve') approvals++;
  const changes: Partial<ApprovalRequest> = { decisions };
  let details = detail;
  if (decision.edit !== undefined && decision.outcome === 'approve') {
    const { policy, features } = runtime.options;
    const edited = features.editAction(policy.ruleById(request.ruleId), request, decision.edit);
    changes.action = edited.action;
    details = joined(details, edited.detail);
  }
  // The vote that settles the request is one entry, typed by what it settled: `decided` is a vote that did not.
  let type: 'decided' | 'approved' | 'denied' = 'decided';
  if (recorded.outcome === 'deny') {
    type = 'denied';
    changes.status = 'denied';
    changes.decidedAt = recorded.at;
    changes.closedReason = recorded.comment;
  } else if (approvals >= request.quorum && missingRequired(runtime, request, decisions).length === 0) {
    type = 'approved';
    changes.status = 'approved';
    changes.decidedAt = recorded.at;
    details = joined(details, `${approvals} of ${request.quorum} approvals`);
  }
  const drafts = [
    runtime.draft(type, request, {
      approver: recorded.approver,
      outcome: recorded.outcome,
      comment: recorded.comment,
      via,
      detail: details,
    }),
  ];
  return { changes, drafts, approvals };
}

/** The audit detail's parts, joined as they always were: `a; b`. */
function joined(details: string | null, part: string): string {
  return details === null ? part : `${details}; ${part}`;
}

/** Who the request's risk tier names as required approvers and has not approved yet. */
function missingRequired(runtime: Runtime, request: ApprovalRequest, decisions: Decision[]): string[] {
  const route = runtime.options.features.riskRouting.routeOf(request.ruleId, request.risk);
  if (route === null || route.require.length === 0) return [];
  const approved = new Set(approvalsOf({ decisions }).map((d) => d.approver));
  return route.require.filter((identity) => !approved.has(identity));
}

/**
 * Refused attempts are audited: a self-approval attempt is exactly what reviewers look for. `why`
 * may quote what the approver sent (an edit's value or path), so it is scrubbed, then cut.
 */
export async function refuse(
  runtime: Runtime,
  request: ApprovalRequest,
  approver: string,
  via: string,
  why: string,
): Promise<void> {
  const detail = scrubText(why).slice(0, 1000);
  await runtime.append([runtime.draft('refused', request, { approver, via, detail })], request);
}
