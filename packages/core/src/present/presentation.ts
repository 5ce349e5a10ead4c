// What every channel shows approvers about a request: one model, rendered by each transport.
import { type ApprovalRequest, approvalsOf, type Decision, type RequestStatus } from '../model/approval.js';
import type { Risk } from '../model/risk.js';
import type { PolicyRule } from '../model/rule.js';
import { DEFAULT_MAX_USES } from '../model/rule.js';
import { isSelfApproval } from '../policy/approvers.js';
import { fitParams, type Measure, type ParamsCut, utf16Length } from './fit-to-budget.js';

/** The label every channel puts beside the agent's reason: nobody checked it. */
export const UNVERIFIED_REASON_LABEL = 'Stated by the agent, unverified';

/** A headline per status, the same in every channel. */
export const STATUS_HEADLINES: Readonly<Record<RequestStatus, string>> = {
  pending: 'Approval needed',
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired',
  cancelled: 'Cancelled',
  executed: 'Approved: the action ran',
  failed: 'Approved: the action failed',
};

/**
 * The who, what and why of a request as plain text and numbers. Nothing here is escaped:
 * each channel escapes for its own medium (Slack mrkdwn, Adaptive Card markdown, HTML).
 */
export interface RequestPresentation {
  id: string;
  status: RequestStatus;
  /** `STATUS_HEADLINES[status]`. */
  headline: string;
  /** One plain sentence on where the request stands, e.g. `Waiting: 1 of 2 approvals (user:bob)`. */
  statusText: string;
  /** True while the request can still be decided. */
  open: boolean;
  who: { actor: string; onBehalfOf: string | null; sessionId: string };
  what: {
    action: string;
    resource: string | null;
    risk: Risk;
    /**
     * The redacted params as indented JSON in canonical order, fitted to the budget by
     * `fitParams`: a shortened param ends with `…`, and `paramsCut` names every param cut.
     */
    paramsText: string;
    paramsTruncated: boolean;
    /** The params `paramsText` shortens or leaves out; channels say so with `describeCut`. */
    paramsCut: ParamsCut;
    /** Every top-level param name, in canonical order, whether or not `paramsText` shows it. */
    paramNames: readonly string[];
    /** SHA-256 of the original params' canonical JSON: what the grant binds. */
    paramsHash: string;
    /** JSON paths whose values were redacted. */
    redactedPaths: readonly string[];
    /** The action's fingerprint (name, resource, params). */
    fingerprint: string;
  };
  why: { reason: string; label: typeof UNVERIFIED_REASON_LABEL };
  ruleId: string;
  quorum: { required: number; approvals: number; approvedBy: readonly string[] };
  /** Every decision so far, oldest first. */
  decisions: readonly Decision[];
  /** The eligible approvers fixed when the request was made. */
  approvers: readonly string[];
  /** The denial, if any: who and what they said. */
  denial: { approver: string; comment: string | null } | null;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  closedReason: string | null;
  /** Present when `options.rule` was given. */
  terms?: ApprovalTerms | undefined;
}

export interface PresentOptions {
  /**
   * Length of the params text before params are cut, as `measure` counts. Default 2,600 (fits a
   * Slack section); `Number.POSITIVE_INFINITY` shows them whole.
   */
  paramsBudget?: number | undefined;
  /** How long each character is once the channel has escaped it. Default: UTF-16 units. */
  measure?: Measure | undefined;
  /** The request's rule (`host.rule(request.ruleId)`), for what approving it means: reuse, comments, edits. */
  rule?: PolicyRule | null | undefined;
}

/** What approving a request means beyond this call, from its rule; shown beside the buttons. */
export interface ApprovalTerms {
  /** A sentence when the approval may cover later calls (rule `reuse`), else null. */
  reuse: string | null;
  /** Decisions that need a comment (rule `requireComment`), else null. */
  commentRequired: 'approve' | 'deny' | 'both' | null;
  /** Param paths the approver may narrow (rule `editable`). */
  editable: readonly string[];
}

const DEFAULT_PARAMS_BUDGET = 2_600;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function statusText(request: ApprovalRequest, approvedBy: readonly string[]): string {
  const progress = `${approvedBy.length} of ${plural(request.quorum, 'approval')}`;
  const voters = approvedBy.length > 0 ? ` (${approvedBy.join(', ')})` : '';
  switch (request.status) {
    case 'pending':
      return `Waiting: ${progress}${voters}`;
    case 'approved':
      return `Approved by ${approvedBy.join(', ')}`;
    case 'executed':
      return `Approved by ${approvedBy.join(', ')}. The action ran.`;
    case 'failed':
      return `Approved by ${approvedBy.join(', ')}. The action failed.`;
    case 'denied': {
      const denial = lastDenial(request.decisions);
      return denial ? `Denied by ${denial.approver}` : 'Denied';
    }
    case 'expired':
      return `Expired with ${progress}${voters}: nobody can decide it any more.`;
    case 'cancelled':
      return request.closedReason ? `Cancelled: ${request.closedReason}` : 'Cancelled';
  }
}

function lastDenial(decisions: readonly Decision[]): Decision | undefined {
  for (let i = decisions.length - 1; i >= 0; i--) if (decisions[i]!.outcome === 'deny') return decisions[i];
  return undefined;
}

/** Params as approvers read them: indented, in the hashed order, fitted to the budget by `fitParams`. */
export function paramsText(
  params: ApprovalRequest['action']['params'],
  budget = DEFAULT_PARAMS_BUDGET,
): { text: string; truncated: boolean } {
  const fitted = fitParams(params, budget);
  return { text: fitted.text, truncated: fitted.shortened.length + fitted.omitted.length > 0 };
}

/** The presentation of a request, for any channel to render. */
export function presentRequest(request: ApprovalRequest, options: PresentOptions = {}): RequestPresentation {
  const approvedBy = approvalsOf(request).map((d) => d.approver);
  const params = fitParams(
    request.action.params,
    options.paramsBudget ?? DEFAULT_PARAMS_BUDGET,
    options.measure ?? utf16Length,
  );
  const denial = request.status === 'denied' ? (lastDenial(request.decisions) ?? null) : null;
  return {
    id: request.id,
    status: request.status,
    headline: STATUS_HEADLINES[request.status],
    statusText: statusText(request, approvedBy),
    open: request.status === 'pending',
    who: { actor: request.actor, onBehalfOf: request.onBehalfOf, sessionId: request.sessionId },
    what: {
      action: request.action.name,
      resource: request.action.resource,
      risk: request.risk,
      paramsText: params.text,
      paramsTruncated: params.shortened.length + params.omitted.length > 0,
      paramsCut: { shortened: params.shortened, omitted: params.omitted },
      paramNames: Object.keys(request.action.params).sort(),
      paramsHash: request.action.paramsHash,
      redactedPaths: request.action.redactedPaths,
      fingerprint: request.fingerprint,
    },
    why: { reason: request.reason, label: UNVERIFIED_REASON_LABEL },
    ruleId: request.ruleId,
    quorum: { required: request.quorum, approvals: approvedBy.length, approvedBy },
    decisions: request.decisions,
    approvers: request.approvers,
    denial: denial === null ? null : { approver: denial.approver, comment: denial.comment },
    createdAt: request.createdAt,
    expiresAt: request.expiresAt,
    decidedAt: request.decidedAt,
    closedReason: request.closedReason,
    ...(options.rule ? { terms: termsOf(options.rule) } : {}),
  };
}

function termsOf(rule: PolicyRule): ApprovalTerms {
  const reuse = rule.reuse;
  const within =
    reuse === undefined ? '' : typeof reuse.within === 'number' ? `${reuse.within} ms` : reuse.within;
  const same = reuse?.same === 'fingerprint' ? 'identical' : `matching (${reuse?.same.join(', ')})`;
  return {
    reuse:
      reuse === undefined || rule.destructive === true
        ? null
        : `Approving may also cover up to ${reuse.maxUses ?? DEFAULT_MAX_USES} later ${same} call(s) by this agent ${reuse.scope === 'session' ? 'in this session' : 'in any session'} for ${within}; choose "just this call" to prevent it.`,
    commentRequired: rule.requireComment ?? null,
    editable: rule.editable ?? [],
  };
}

/**
 * Why `approver` may not decide `request` now, or null if they may: the same rules `decide`
 * applies, for channels that want to answer a click before recording anything.
 */
export function decisionProblem(
  request: ApprovalRequest,
  approver: string,
  now: number,
): 'not_pending' | 'expired' | 'self_approval' | 'not_eligible' | 'already_voted' | null {
  if (request.status !== 'pending') return 'not_pending';
  if (now >= request.expiresAt) return 'expired';
  if (isSelfApproval(approver, request)) return 'self_approval';
  if (!request.approvers.includes(approver)) return 'not_eligible';
  if (request.decisions.some((d) => d.approver === approver)) return 'already_voted';
  return null;
}
