// The span, attribute and metric names this package writes, in one place.

/** The span around each `guard` call. */
export const GUARD_SPAN = 'countersign.guard';

export const Attr = {
  /** The action's name (GenAI semantic conventions: the tool being called). */
  ToolName: 'gen_ai.tool.name',
  Resource: 'countersign.action.resource',
  Actor: 'countersign.actor',
  Rule: 'countersign.rule.id',
  /** The decision: allowed, policy_denied, approved, denied, expired or cancelled. */
  Outcome: 'countersign.outcome',
  RequestId: 'countersign.request.id',
  Quorum: 'countersign.approval.quorum',
  /** Milliseconds from the request to its decision, by the countersign clock. */
  WaitMs: 'countersign.approval.wait_ms',
  Approver: 'countersign.approver',
  Via: 'countersign.via',
  GrantId: 'countersign.grant.id',
  /** On the event of an entry that records a consumption: when the grant was consumed (ms since the epoch, countersign clock). */
  ConsumedAt: 'countersign.grant.consumed_at',
  RefusalReason: 'countersign.refusal.reason',
  /** Semantic-conventions `error.type`: the error's code or class name, never its message. */
  ErrorType: 'error.type',
} as const;

export const Metric = {
  /** UpDownCounter: requests created minus requests settled; summed across processes it is the pending count. */
  Pending: 'countersign.requests.pending',
  /** Histogram, seconds: from request to approval, denial, expiry or cancellation. */
  DecisionDuration: 'countersign.decision.duration',
  /** Counter: decisions by outcome and rule. */
  Decisions: 'countersign.decisions',
  /** Counter: refused decisions and grant uses, by reason. */
  Refusals: 'countersign.refusals',
  /** Counter: grants consumed, by rule, each once. */
  Consumptions: 'countersign.grants.consumed',
} as const;
