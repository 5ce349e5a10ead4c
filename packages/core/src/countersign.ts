// createCountersign(): the public instance, wiring guard, open, decide, grants and audit to one runtime.
import { z } from 'zod';
import type { ApprovalRequest } from './approval.js';
import { type AuditEntry, type AuditHead, toJsonLines } from './audit.js';
import { auditPageList, checkAuditHead, checkAuditPage } from './audit-reads.js';
import { AuditVerifier, type VerifyOptions, type VerifyResult } from './audit-verify.js';
import { decideBatch } from './batch-decisions.js';
import type { GuardAction, GuardContext } from './call.js';
import { type WaitForDecisionOptions, waitForDecision } from './decision-wait.js';
import { decide, refuse } from './decisions.js';
import { ClosedError, ConfigError, RequestNotFoundError, ValidationError } from './errors.js';
import type { CountersignEventMap, CountersignEventName } from './events.js';
import { consumeGrant } from './grant-checks.js';
import type { Grant, GrantCheck, GrantRecord } from './grants.js';
import { guard } from './guard.js';
import { copyJsonParams, readMembers } from './input.js';
import {
  type CheckResult,
  checkCall,
  type OpenAction,
  type OpenContext,
  type OpenResult,
  openCall,
} from './open.js';
import { type CountersignOptions, resolveOptions } from './options.js';
import type { PolicyDecision } from './policy.js';
import { scrubText } from './redact.js';
import { revokeReuse } from './reuse-windows.js';
import type { Risk } from './risk.js';
import type { PolicyRule } from './rule.js';
import { Runtime } from './runtime.js';
import {
  explainSchema,
  identitySchema,
  idSchema,
  pageSchema,
  parseInput,
  readVerifyOptions,
  refusalSchema,
  waitOptionsSchema,
} from './schemas.js';
import { sweepLapsed } from './sweep.js';
import type { BatchDecisionInput, BatchDecisionResult } from './transport.js';

const revokeReuseSchema = z.object({ by: identitySchema, reason: z.string().max(2000).optional() });

import type { DecisionInput, DecisionResult, TransportHost } from './transport.js';

/** A call as `explain()` reads it: what rules match on, and what their conditions see. */
export interface ExplainSubject {
  action: string;
  resource?: string | null | undefined;
  actor: string;
  params?: Record<string, unknown> | undefined;
  onBehalfOf?: string | null | undefined;
  risk?: Risk | undefined;
  sessionId?: string | undefined;
}

/** Describes a function to guard once, for `countersign.wrap`. */
export interface WrapSpec<I> {
  name: string;
  /** The resource, fixed or computed from the input. */
  resource?: string | ((input: I) => string | null) | undefined;
  /** The params to bind and show, from the frozen copy of the input `fn` will get. Default: that copy. */
  params?: ((input: I) => Record<string, unknown>) | undefined;
  risk?: GuardAction<unknown>['risk'];
}

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

const AUDIT_PAGE = 1_000;

let warnedNoTransports = false;

/** A deep copy, frozen all the way down (walked with its own stack: no recursion). */
function frozenClone<I>(input: I): I {
  const copy = structuredClone(input);
  const stack: unknown[] = [copy];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || Object.isFrozen(value)) continue;
    Object.freeze(value);
    for (const member of Object.values(value)) stack.push(member);
  }
  return copy;
}

/**
 * No transport is a legitimate set-up (requests are decided through the shared store, by an
 * approval server or inbox), but a misconfigured one looks the same: say so, once per process.
 */
function announceNoTransports(runtime: Runtime): void {
  const message =
    'countersign: no transports are configured, so approval requests reach people only through the shared store (an approval server, inbox or decide()).';
  // After the constructor returns, so listeners added right after creation hear it.
  queueMicrotask(() => runtime.events.emit('notice', { code: 'no_transports', message }));
  const { logger } = runtime.options;
  if (logger !== null) {
    logger.warn(message);
    return;
  }
  if (warnedNoTransports) return;
  warnedNoTransports = true;
  process.emitWarning(message, { code: 'COUNTERSIGN_NO_TRANSPORTS' });
}

export function createCountersign(options: CountersignOptions): Countersign {
  return new CountersignInstance(new Runtime(resolveOptions(options)));
}

class CountersignInstance implements Countersign {
  private readonly ready: Promise<void>;
  /** Set once `ready` has resolved, so guard() after start-up adds no await of its own. */
  private started = false;
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(private readonly runtime: Runtime) {
    this.ready = this.start().then(() => {
      this.started = true;
    });
    // Surfaced to the first caller that needs the transports; never an unhandled rejection.
    this.ready.catch(() => {});
  }

  private async start(): Promise<void> {
    const { store, transports, clock } = this.runtime.options;
    if (transports.size === 0) announceNoTransports(this.runtime);
    const host: TransportHost = {
      decide: (requestId, decision) => this.decide(requestId, decision),
      getRequest: (requestId) => this.getRequest(requestId),
      recordRefusal: (requestId, refusal) => this.recordRefusal(requestId, refusal),
      rule: (ruleId) => this.runtime.options.policy.ruleById(ruleId) ?? null,
      decideBatch: (batch) => this.decideBatch(batch),
      clock,
    };
    for (const transport of transports.values()) {
      try {
        await transport.start?.(host);
      } catch (error) {
        throw new ConfigError(`transport "${transport.name}" failed to start`, { cause: error });
      }
    }
    if (store.subscribe) {
      try {
        this.unsubscribe = await store.subscribe((id) => this.runtime.waiters.wake(id));
      } catch {
        // Waiting guards poll, so a store that cannot notify is slower, not unsafe.
      }
    }
  }

  private async whenReady(): Promise<void> {
    if (this.runtime.closed) throw new ClosedError();
    await this.ready;
  }

  guard<T>(action: GuardAction<T>, context: GuardContext): Promise<T> {
    if (this.started && !this.runtime.closed) return guard(this.runtime, action, context);
    return this.whenReady().then(() => guard(this.runtime, action, context));
  }

  async open(action: OpenAction, context: OpenContext): Promise<OpenResult> {
    await this.whenReady();
    return openCall(this.runtime, action, context);
  }

  async check(action: OpenAction, context: OpenContext): Promise<CheckResult> {
    await this.whenReady();
    return checkCall(this.runtime, action, context);
  }

  async waitForDecision(requestId: string, options: WaitForDecisionOptions = {}): Promise<ApprovalRequest> {
    await this.whenReady();
    parseInput(idSchema, requestId, 'request id');
    const read = parseInput(
      waitOptionsSchema,
      readMembers(options, ['signal'], 'waitForDecision options'),
      'waitForDecision options',
    );
    return waitForDecision(this.runtime, requestId, read);
  }

  wrap<I, T>(spec: WrapSpec<I>, fn: (input: I, grant: Grant) => T | Promise<T>) {
    return (input: I, context: GuardContext) => {
      // One frozen copy is what the approver sees and what `fn` runs with: changing the caller's
      // object (or a getter answering differently) while the request waits changes nothing.
      let snapshot: I;
      try {
        snapshot = frozenClone(input);
      } catch (error) {
        return Promise.reject(
          new ValidationError('wrapped function input', [
            `must be data that structuredClone can copy (${error instanceof Error ? error.message : 'not cloneable'})`,
          ]),
        );
      }
      return this.guard(
        {
          name: spec.name,
          resource: typeof spec.resource === 'function' ? spec.resource(snapshot) : spec.resource,
          params: spec.params ? spec.params(snapshot) : (snapshot as Record<string, unknown>),
          risk: spec.risk,
          run: (grant) => fn(snapshot, grant),
        },
        context,
      );
    };
  }

  async decide(requestId: string, decision: DecisionInput): Promise<DecisionResult> {
    await this.whenReady();
    return decide(this.runtime, requestId, decision);
  }

  async revokeReuse(
    requestId: string,
    revocation: { by: string; reason?: string | undefined },
  ): Promise<boolean> {
    await this.whenReady();
    parseInput(idSchema, requestId, 'request id');
    const read = parseInput(
      revokeReuseSchema,
      readMembers(revocation, ['by', 'reason'], 'revokeReuse revocation'),
      'revokeReuse revocation',
    );
    return revokeReuse(
      this.runtime,
      requestId,
      read.by,
      read.reason === undefined ? null : scrubText(read.reason),
    );
  }

  async followUp(limit = 100): Promise<number> {
    await this.whenReady();
    parseInput(pageSchema.shape.limit, limit, 'followUp limit');
    return this.runtime.options.followUps.sweep(this.runtime, limit);
  }

  async decideBatch(batch: BatchDecisionInput): Promise<BatchDecisionResult> {
    await this.whenReady();
    return decideBatch(this.runtime, batch);
  }

  explain(subject: ExplainSubject): PolicyDecision {
    const read = parseInput(
      explainSchema,
      readMembers(subject, Object.keys(explainSchema.shape), 'explain subject'),
      'explain subject',
    );
    const { policy, riskRouting } = this.runtime.options;
    const call = {
      action: read.action,
      resource: read.resource ?? null,
      actor: read.actor,
      call: {
        params: copyJsonParams(read.params, 'explain params'),
        onBehalfOf: read.onBehalfOf ?? null,
        risk: read.risk ?? 'medium',
        sessionId: read.sessionId ?? '',
        now: this.runtime.now(),
      },
    };
    const decision = policy.decide(call);
    const route =
      decision.effect === 'require_approval' ? riskRouting.route(decision, call, read.risk) : null;
    if (route === null) return decision;
    return { ...decision, effect: route.effect, risk: route.risk, quorum: route.quorum };
  }

  async recordRefusal(
    requestId: string,
    refusal: { approver: string; via: string; why: string },
  ): Promise<void> {
    await this.whenReady();
    parseInput(idSchema, requestId, 'request id');
    const read = parseInput(
      refusalSchema,
      readMembers(refusal, ['approver', 'via', 'why'], 'refusal'),
      'refusal',
    );
    const request = await this.getRequest(requestId);
    if (request === null) throw new RequestNotFoundError(requestId);
    await refuse(this.runtime, request, read.approver, read.via, scrubText(read.why));
  }

  rule(ruleId: string): PolicyRule | null {
    return this.runtime.options.policy.ruleById(ruleId) ?? null;
  }

  async getRequest(requestId: string): Promise<ApprovalRequest | null> {
    if (this.runtime.closed) throw new ClosedError();
    parseInput(idSchema, requestId, 'request id');
    return this.runtime.load(requestId);
  }

  async sweep(limit = 100): Promise<number> {
    await this.whenReady();
    return sweepLapsed(this.runtime, limit);
  }

  readonly grants = {
    consume: async (token: string, check: GrantCheck) => {
      if (this.runtime.closed) throw new ClosedError();
      return consumeGrant(this.runtime, token, check);
    },
  };

  readonly audit = {
    verify: async (options?: VerifyOptions) => {
      const verifier = new AuditVerifier(readVerifyOptions(options));
      // Unchecked pages: the verifier reports a bad entry as a failed verification, with its seq.
      for await (const page of this.auditPages(false)) {
        if (!page.every((entry) => verifier.add(entry))) break;
      }
      return verifier.result();
    },
    export: async () => {
      const entries: AuditEntry[] = [];
      for await (const page of this.auditPages()) entries.push(...page);
      return toJsonLines(entries);
    },
    entries: async (afterSeq = 0, limit = AUDIT_PAGE) => {
      parseInput(pageSchema, { afterSeq, limit }, 'audit page');
      const page = await this.runtime.call('readAudit', () => this.runtime.store.readAudit(afterSeq, limit));
      return checkAuditPage(page, afterSeq, limit);
    },
    head: async () =>
      checkAuditHead(await this.runtime.call('auditHead', () => this.runtime.store.auditHead())),
  };

  /** The chain a page at a time: one await per page, not per entry. */
  private async *auditPages(check = true): AsyncGenerator<AuditEntry[]> {
    let after = 0;
    for (;;) {
      const raw = await this.runtime.call('readAudit', () => this.runtime.store.readAudit(after, AUDIT_PAGE));
      const page = check ? checkAuditPage(raw, after, AUDIT_PAGE) : auditPageList(raw);
      if (page.length > 0) yield page;
      const last = page[page.length - 1];
      if (page.length < AUDIT_PAGE || last === undefined) return;
      after = last.seq;
    }
  }

  on<E extends CountersignEventName>(event: E, listener: (...args: CountersignEventMap[E]) => void): this {
    this.runtime.events.on(event, listener as never);
    return this;
  }

  once<E extends CountersignEventName>(event: E, listener: (...args: CountersignEventMap[E]) => void): this {
    this.runtime.events.once(event, listener as never);
    return this;
  }

  off<E extends CountersignEventName>(event: E, listener: (...args: CountersignEventMap[E]) => void): this {
    this.runtime.events.off(event, listener as never);
    return this;
  }

  async close(): Promise<void> {
    if (this.runtime.closed) return;
    this.runtime.closed = true;
    this.runtime.waiters.wakeAll();
    await this.ready.catch(() => {});
    await this.unsubscribe?.();
    for (const transport of this.runtime.options.transports.values()) await transport.close?.();
    await this.runtime.store.close();
    this.runtime.events.removeAllListeners();
  }
}
