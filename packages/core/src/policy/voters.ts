// Who may vote on a request now: its rule's or risk tier's approvers, its escalation's, and who is on call.
import type { ApprovalRequest } from '../model/approval.js';

/** What says who may approve under a rule: the resolved options satisfy it. */
export interface VoterSources {
  /** Each require_approval rule's approvers. */
  readonly eligible: ReadonlyMap<string, readonly string[]>;
  /** The features that widen or change who may approve: risk tiers, and escalation. */
  readonly features: {
    readonly riskRouting: {
      routeOf(ruleId: string, risk: ApprovalRequest['risk']): { readonly eligible: readonly string[] } | null;
    };
    readonly followUps: { escalationOf(ruleId: string): readonly string[] };
  };
}

/**
 * Who may approve `request` now under its rule: the rule's (or its risk tier's) approvers, its
 * escalation's, and whoever of `onCall` is on call for it. What the guard counts votes against
 * before running, and what `decide` checks a vote against before writing it.
 */
export function eligibleVoters(
  request: ApprovalRequest,
  sources: VoterSources,
  onCall: readonly string[],
): Set<string> {
  const route = sources.features.riskRouting.routeOf(request.ruleId, request.risk);
  const eligible = new Set(route?.eligible ?? sources.eligible.get(request.ruleId) ?? []);
  for (const identity of sources.features.followUps.escalationOf(request.ruleId)) eligible.add(identity);
  for (const identity of onCall) eligible.add(identity);
  return eligible;
}
