// Whether an approved record really approves this call: core does not run on a store's word alone.

import { parseDuration } from '../lib/duration.js';
import { type ApprovalRequest, approvalsOf } from '../model/approval.js';
import type { Risk } from '../model/risk.js';
import { riskRank } from '../model/risk.js';
import { isSelfApproval } from '../policy/approvers.js';
import { commentRequired, hasJustification } from '../policy/justification.js';
import { eligibleVoters } from '../policy/voters.js';
import type { ResolvedOptions } from '../runtime/runtime.js';

/** The call a record must be for: what the guard computed itself, not what the store says. */
export interface ApprovedCall {
  requestId: string;
  fingerprint: string;
  sessionId: string;
  actor: string;
  onBehalfOf: string | null;
  /** Who is on call now for the rule's escalation, looked up by the guard: eligible too. */
  onCall?: readonly string[] | undefined;
  /** The call's risk as the guard computed it, for rules that route by risk. */
  risk?: Risk | undefined;
  /** The grant this call claimed the record with, when it is checked after its claim: the record must name it. */
  grantId?: string | undefined;
}

/**
 * What is wrong with `request` as an approval of `call` under the current policy, or an empty
 * list. A buggy or compromised store could return another request's record, an "approved"
 * record without approvals, with the actor's own vote, or with a lowered quorum: each is caught.
 */
export function approvalProblems(
  request: ApprovalRequest,
  call: ApprovedCall,
  options: ResolvedOptions,
  now: number,
): string[] {
  const problems: string[] = [];
  if (request.id !== call.requestId) problems.push(`is request ${request.id}, not ${call.requestId}`);
  if (request.fingerprint !== call.fingerprint) problems.push('is for another action, resource or params');
  if (request.sessionId !== call.sessionId) problems.push('is for another session');
  if (request.actor !== call.actor) problems.push('is for another actor');
  if (request.onBehalfOf !== call.onBehalfOf) problems.push('is on behalf of someone else');
  if (request.status !== 'approved') problems.push(`has status ${request.status}, not approved`);
  if (request.grantId !== (call.grantId ?? null)) {
    problems.push(call.grantId === undefined ? 'was already claimed' : 'names another grant');
  }
  if (request.decidedAt === null || request.decidedAt > now) problems.push('has no past decision time');
  const rule = options.policy.ruleById(request.ruleId);
  if (rule === undefined || rule.effect !== 'require_approval') {
    problems.push(`names rule "${request.ruleId}", which no longer requires approval`);
    return problems;
  }
  const route = options.features.riskRouting.routeOf(rule.id, request.risk);
  if (call.risk !== undefined && riskRank(request.risk) < riskRank(call.risk)) {
    problems.push(`has risk ${request.risk}, below this call's ${call.risk}`);
  }
  const quorum = Math.max(route?.quorum ?? rule.quorum ?? 1, 1);
  if (request.quorum < quorum) problems.push(`has quorum ${request.quorum}, below the rule's ${quorum}`);
  const ruleGrantTtl = rule.grantTtl === undefined ? options.grantTtlMs : (parseDuration(rule.grantTtl) ?? 0);
  if (request.grantTtlMs > ruleGrantTtl) problems.push('has a grant lifetime longer than its rule allows');
  const eligible = eligibleVoters(request, options, call.onCall ?? []);
  const approvers = new Set<string>();
  for (const decision of request.decisions) {
    if (decision.outcome === 'deny') problems.push(`holds a denial by ${decision.approver}`);
    if (isSelfApproval(decision.approver, request) || isSelfApproval(decision.approver, call)) {
      problems.push(`holds a vote by ${decision.approver}, the actor or the person it acts for`);
    } else if (!eligible.has(decision.approver)) {
      problems.push(`holds a vote by ${decision.approver}, who is not an eligible approver`);
    }
    if (decision.at > request.expiresAt) problems.push(`holds a vote cast after the request expired`);
    if (commentRequired(rule, decision.outcome) && !hasJustification(decision.comment)) {
      problems.push(`holds a decision by ${decision.approver} without the comment its rule requires`);
    }
  }
  for (const approval of approvalsOf(request)) {
    if (eligible.has(approval.approver) && !isSelfApproval(approval.approver, call)) {
      approvers.add(approval.approver);
    }
  }
  if (approvers.size < quorum) {
    problems.push(`has ${approvers.size} distinct eligible approval(s), fewer than the ${quorum} required`);
  }
  for (const identity of route?.require ?? []) {
    if (!approvers.has(identity))
      problems.push(`lacks the approval of ${identity}, whom its risk tier requires`);
  }
  return problems;
}
