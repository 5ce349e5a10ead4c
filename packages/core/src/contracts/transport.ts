// The Transport contract: delivering requests to people and receiving their decisions.

import type { Clock } from '../lib/clock.js';
import type { ApprovalRequest, DeliveryReceipt } from '../model/approval.js';
import type { PolicyRule } from '../model/rule.js';

/** A decision as transports and API callers submit it. */
export interface DecisionInput {
  /** Directory identity of the person deciding, established by the transport, never by the request. */
  approver: string;
  outcome: 'approve' | 'deny';
  comment?: string | undefined;
  /** Channel the decision came through, e.g. `'slack'`, `'terminal'`, `'api'`. */
  via?: string | undefined;
  /** With an approval under a rule with `reuse`: approve only this call; later calls ask again. */
  justThisCall?: boolean | undefined;
  /**
   * With an approval: narrower values for param paths the rule declares `editable`, e.g.
   * `{ rows: 100 }` for `rows: 1000000`. Recorded as a diff; the call runs with the edited params.
   */
  edit?: Record<string, unknown> | undefined;
}

export interface DecisionResult {
  /** The request after the decision. */
  request: ApprovalRequest;
  /** Approvals counted so far and how many are needed. */
  approvals: number;
  quorum: number;
}

/** What a transport is asked to send besides the first delivery. */
export interface FollowUpNotice {
  kind: 'reminder' | 'escalation';
  /** Who should hear: approvers who have not decided yet, or the identities just added. */
  to: readonly string[];
}

/** One approver's decision on several pending requests at once: all or nothing. */
export interface BatchDecisionInput {
  approver: string;
  outcome: 'approve' | 'deny';
  comment?: string | undefined;
  via?: string | undefined;
  /** Approve only these calls: none of their approvals opens a reuse window. */
  justThisCall?: boolean | undefined;
  /** Each request and the `action.paramsHash` shown for it: a request whose params differ is refused. */
  requests: readonly { id: string; paramsHash: string }[];
}

export interface BatchDecisionResult {
  /** A batch id, in every `decided` entry's detail. */
  batchId: string;
  /** One per request, in the order given. */
  results: DecisionResult[];
}

/** What core offers a transport once it starts. */
export interface TransportHost {
  /** Records a decision with every check `countersign.decide` makes, and throws the same errors. */
  decide(requestId: string, decision: DecisionInput): Promise<DecisionResult>;
  getRequest(requestId: string): Promise<ApprovalRequest | null>;
  /** Audits an attempt the transport refused itself (unknown user, forged click on a live request). */
  recordRefusal(requestId: string, refusal: { approver: string; via: string; why: string }): Promise<void>;
  readonly clock: Clock;
  /** The policy rule a request names, for `presentRequest(request, { rule })`; null if none has that id. */
  rule?(ruleId: string): PolicyRule | null;
  /** Records one decision on several requests, all or nothing, as `countersign.decideBatch` does. */
  decideBatch?(batch: BatchDecisionInput): Promise<BatchDecisionResult>;
}

export interface DeliveryContext {
  /** Aborts once the request is settled or the waiting guard gives up: stop prompting. */
  signal: AbortSignal;
}

/**
 * Carries approval requests to people and their decisions back. Plain object; create it with
 * a factory such as `createTerminalTransport(options)`. Run `runTransportConformance` from
 * `@countersign/core/testing` against yours.
 *
 * Requests handed to a transport are already redacted; a transport MUST NOT add anything from
 * elsewhere that could hold a secret.
 */
export interface Transport {
  /** Unique among a countersign instance's transports; stored in delivery receipts. */
  readonly name: string;

  /** Called once by `createCountersign` before any delivery. MAY start servers or sockets. */
  start?(host: TransportHost): Promise<void> | void;

  /**
   * Shows the request to its approvers. Resolves once it is delivered, not once decided, with
   * a reference to what was posted (e.g. `{ channel, ts }`) that later updates receive.
   * MUST be idempotent per request id: a second call for the same id MUST NOT post again and
   * SHOULD resolve with the first reference. Rejects when it could not deliver; core fails the
   * request closed when every transport rejects.
   */
  deliver(request: ApprovalRequest, context: DeliveryContext): Promise<Record<string, string> | undefined>;

  /**
   * Called after every change to a delivered request (a vote, approval, denial, expiry, the
   * action's outcome). Errors are reported as `transport_error` events and never change the
   * decision. Concurrent changes can deliver updates out of order: compare `request.version` and
   * ignore one older than the last you rendered.
   */
  update?(request: ApprovalRequest, receipt: DeliveryReceipt): Promise<void>;

  /**
   * Optional: a follow-up on a delivered, still pending request: a reminder to approvers who have
   * not decided, or an escalation to identities just added (`notice.to`). Post a new message that
   * mentions them; errors are reported as `transport_error` events. Without it, no follow-ups.
   */
  remind?(request: ApprovalRequest, notice: FollowUpNotice, receipt: DeliveryReceipt): Promise<void>;

  /**
   * Stops servers and prompts. MUST finish work it already acknowledged (a click being decided)
   * before resolving: core closes the store right after. Idempotent.
   */
  close?(): Promise<void>;
}
