// The policy rule record: every member a rule may have, defined once, below everything that reads one.
import type { Duration } from '../lib/duration.js';
import type { Risk } from './risk.js';

export type Effect = 'allow' | 'deny' | 'require_approval';

/** One or more `*` glob patterns; a value matches when any pattern does. */
export type Patterns = string | readonly string[];

export interface RuleMatch {
  /** Action names, e.g. `'db.export'` or `'db.read*'`. Omitted: any action. */
  action?: Patterns | undefined;
  /** Resources, e.g. `'prod/*'`. Omitted: any resource, including none. */
  resource?: Patterns | undefined;
  /** Actors, e.g. `'agent:report-*'`. Omitted: any actor. */
  actor?: Patterns | undefined;
}

export interface ApproverSpec {
  /** Identities that may approve, e.g. `'user:bob'`. */
  users?: readonly string[] | undefined;
  /** Directory groups whose members may approve. */
  groups?: readonly string[] | undefined;
}

/** A policy rule. Rules are tried in order; the first that matches decides. */
export interface PolicyRule {
  id: string;
  match: RuleMatch;
  effect: Effect;
  /** Required when `effect` is `'require_approval'`. */
  approvers?: ApproverSpec | undefined;
  /** Distinct eligible approvals needed. Default 1. */
  quorum?: number | undefined;
  /** How long a request waits for approvers before it expires. Default `'15m'`. */
  requestTtl?: Duration | undefined;
  /** How long a grant lives once issued. Default `'60s'`. */
  grantTtl?: Duration | undefined;
  risk?: Risk | undefined;
  description?: string | undefined;
  /**
   * A CEL condition over `params`, `resource`, `actor`, `onBehalfOf`, `risk`, `sessionId` and `now`,
   * e.g. `params.rows > 10000`: the rule matches only when it holds. One that fails to evaluate
   * (or spends `maxConditionCost`) makes the rule decide, failing closed: `deny`, or approval for a
   * `require_approval` rule. `matches()` is RE2.
   */
  when?: string | undefined;
  /**
   * CEL conditions that compute the call's risk, tried from `critical` down, e.g.
   * `{ critical: 'params.rows > 1000000', high: 'params.rows > 10000' }`. None holds: `risk`.
   */
  riskWhen?: Partial<Record<Risk, string>> | undefined;
  /** Per risk level, who must approve and how many (or `effect: 'allow'`/`'deny'`), for require_approval rules. */
  tiers?: Partial<Record<Risk, RiskTier>> | undefined;
  /** Decisions that must carry the approver's comment (a justification): `'approve'`, `'deny'` or `'both'`. */
  requireComment?: RequireComment | undefined;
  /** Lets one approval cover later matching calls for a while; each still gets its own grant. */
  reuse?: ReuseSpec | undefined;
  /** Marks calls whose effect cannot be undone: their approvals are never reused. */
  destructive?: boolean | undefined;
  /** Re-notifies approvers who have not decided, through the transports, this long after the request. */
  remindAfter?: Duration | undefined;
  /** This long after the request, adds `escalateTo` to its approvers and notifies them. */
  escalateAfter?: Duration | undefined;
  escalateTo?: EscalationTarget | undefined;
  /**
   * Param paths an approver may narrow when approving (`edit` on `decide`), e.g. `['rows']`: a lower
   * number or fewer list items, never a widening. The grant binds, and `run` receives, the edited params.
   */
  editable?: readonly string[] | undefined;
  /** Credentials minted for each grant of this rule by a broker in `credentialBrokers`, revoked when `run` settles. */
  credentials?: RuleCredentials | undefined;
}

/** Which broker mints a rule's credentials, and exactly what they may do, e.g. `['SELECT ON customers']`. */
export interface RuleCredentials {
  /** A key of the `credentialBrokers` option. */
  broker: string;
  /** In the broker's own privilege forms; the broker refuses any it does not know, at creation. */
  privileges: readonly string[];
}

/** What a call at one risk level needs, overriding its rule's `effect`, `approvers` and `quorum`. */
export interface RiskTier {
  /** `'allow'` lets the call through, `'deny'` refuses it. Default `'require_approval'`. */
  effect?: Effect | undefined;
  /** Who may approve at this level. Default: the rule's approvers. */
  approvers?: ApproverSpec | undefined;
  /** Distinct approvals needed at this level. Default: the rule's quorum. */
  quorum?: number | undefined;
  /** Identities who must each approve (e.g. a named owner), besides and within the quorum. */
  require?: readonly string[] | undefined;
}

/** A rule's `reuse`: how far one approval reaches. */
export interface ReuseSpec {
  /** How long after the approval later calls may rely on it, e.g. `'30m'`. */
  within: Duration;
  /** Who may rely on it: the same actor (and principal) in the same `'session'`, or in any session (`'actor'`). */
  scope: 'session' | 'actor';
  /** What must be equal: the exact call (`'fingerprint'`), or the action, resource and these param paths. */
  same: 'fingerprint' | readonly string[];
  /** Calls that may rely on it besides the approved one. Default 10. */
  maxUses?: number | undefined;
}

export const DEFAULT_MAX_USES = 10;

/** Who a rule escalates to: identities, directory groups, and an on-call target for the `onCall` resolver. */
export interface EscalationTarget extends ApproverSpec {
  /** E.g. `'escalation_policy:P1ABC'` or `'schedule:P2DEF'` for `createPagerDutyOnCall`. */
  onCall?: string | undefined;
}

/** Which decisions must carry a comment under a rule's `requireComment`. */
export type RequireComment = 'approve' | 'deny' | 'both';

/** The approval a call needs once its risk is known. */
export interface RiskRoute {
  effect: Effect;
  risk: Risk;
  quorum: number;
  /** Who may approve, before the actor and the person it acts for are excluded. */
  eligible: readonly string[];
  /** Who must be among the approvals. */
  require: readonly string[];
}

/** Longest `when` expression accepted, in characters. */
export const MAX_CONDITION_LENGTH = 2_000;
