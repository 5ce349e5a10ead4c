// The `Countersign` interface: every method an instance offers, and what each guarantees.

import type {
  BatchDecisionInput,
  BatchDecisionResult,
  DecisionInput,
  DecisionResult,
} from '../contracts/transport.js';
import type { WaitForDecisionOptions } from '../guard/decision-wait.js';
import type { CheckResult, OpenAction, OpenContext, OpenResult } from '../guard/open.js';
import type { ApprovalRequest } from '../model/approval.js';
import type { AuditEntry, AuditHead } from '../model/audit.js';
import type { VerifyOptions, VerifyResult } from '../model/audit-verify.js';
import type { GuardAction, GuardContext } from '../model/call.js';
import type { CountersignEventMap, CountersignEventName } from '../model/events.js';
import type { Grant, GrantCheck, GrantRecord } from '../model/grants.js';
import type { PolicyRule } from '../model/rule.js';
import type { PolicyDecision } from '../policy/policy.js';
import type { ExplainSubject } from './explain.js';
import type { WrapSpec } from './wrap.js';

export interface Countersign {
  /**
   * Runs `action.run` only if the policy allows it or enough eligible people approve, with a
   * single-use grant that is revoked when `run` settles. Throws a `CountersignError` otherwise.
   */
  guard<T>(action: GuardAction<T>, context: GuardContext): Promise<T>;
  /** Guards a function once: every call of the result goes through `guard`. */
  wrap<I, T>(
    spec: WrapSpec<I>,
    fn: (input: I, grant: Grant) => T | Promise<T>,
  ): (input: I, context: GuardContext) => Promise<T>;
  /**
   * Evaluates policy for the call and creates (or re-attaches to) its request, delivers it, and
   * returns at once: `allowed`, `pending` with `requestId` and `expiresAt`, `approved` (a guard
   * with the same idempotency key or `requestId` runs it), or `denied` (final). Nothing runs.
   */
  open(action: OpenAction, context: OpenContext): Promise<OpenResult>;
  /** The policy's decision for a call, validated like a guard's; a denial is audited (`policy_denied`). */
  check(action: OpenAction, context: OpenContext): Promise<CheckResult>;
  /**
   * Resolves with the request once it is no longer pending (decided, cancelled, or expired at its
   * deadline). Runs nothing. Aborting `signal` rejects with `ApprovalPendingError`.
   */
  waitForDecision(requestId: string, options?: WaitForDecisionOptions): Promise<ApprovalRequest>;
  /** Records an approver's decision. Throws on self-approval, ineligibility or a settled request. */
  decide(requestId: string, decision: DecisionInput): Promise<DecisionResult>;
  /**
   * One approver's decision on several pending requests, each named with the params hash they were
   * shown: applied to all or to none (`BatchRefusedError` lists why), each request audited on its own.
   */
  decideBatch(batch: BatchDecisionInput): Promise<BatchDecisionResult>;
  /**
   * Sends due reminders and escalations (rules' `remindAfter`, `escalateAfter`) for up to `limit`
   * pending requests, for processes that do not wait on them; a waiting guard sends its own.
   * Call it on a timer, beside `sweep()`. Returns how many requests it looked at.
   */
  followUp(limit?: number): Promise<number>;
  /**
   * Ends the reuse window a request's approval opened (rule `reuse`), before its time: `by` must be
   * one of the request's eligible approvers. Audited `reuse_revoked`. Returns whether a window ended.
   */
  revokeReuse(requestId: string, revocation: { by: string; reason?: string | undefined }): Promise<boolean>;
  /**
   * What the policy would decide, without running or recording anything; `when` names the
   * condition that held. Give the call's params (and principal, risk, session) for conditions.
   */
  explain(subject: ExplainSubject): PolicyDecision;
  getRequest(requestId: string): Promise<ApprovalRequest | null>;
  /** The policy rule with this id (a request's `ruleId`), or null: for channels showing the approval's terms. */
  rule(ruleId: string): PolicyRule | null;
  /**
   * Audits an attempt a channel refused itself (a non-approver reading a request, an unknown user,
   * a forged click), as a `refused` entry on the request. Decides nothing.
   */
  recordRefusal(requestId: string, refusal: { approver: string; via: string; why: string }): Promise<void>;
  /**
   * Closes what nobody else will: pending requests past their deadline (`expired`), approvals never
   * claimed by their claim deadline (`expired`), approvals whose action started but whose process
   * stopped (`failed`, grant revoked), and, with credential brokers, credentials issued for a grant
   * that expired without being revoked (`credential_reaped`). Returns how many requests it closed.
   * For processes that never wait; run it on a timer.
   */
  sweep(limit?: number): Promise<number>;
  readonly grants: {
    /** Accepts a grant token once, for exactly the call it was issued for. Throws `GrantRefusedError`. */
    consume(token: string, check: GrantCheck): Promise<GrantRecord>;
  };
  readonly audit: {
    /** Walks the whole chain. Pass a head recorded earlier to detect truncation. */
    verify(options?: VerifyOptions): Promise<VerifyResult>;
    /** The log as JSON lines, for `verifyAuditLog` offline. */
    export(): Promise<string>;
    entries(afterSeq?: number, limit?: number): Promise<AuditEntry[]>;
    head(): Promise<AuditHead | null>;
  };
  on<E extends CountersignEventName>(event: E, listener: (...args: CountersignEventMap[E]) => void): this;
  once<E extends CountersignEventName>(event: E, listener: (...args: CountersignEventMap[E]) => void): this;
  off<E extends CountersignEventName>(event: E, listener: (...args: CountersignEventMap[E]) => void): this;
  /**
   * Stops transports, the store subscription and the store itself (a store shared by several
   * instances in one process is closed by the first). Guards still waiting throw `ClosedError` and
   * leave their requests pending, for a restart to resume with the same idempotency key.
   */
  close(): Promise<void>;
}
