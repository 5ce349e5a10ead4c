// createCountersign(): the public instance, wiring guard, open, decide, grants and audit to one runtime.
import { z } from 'zod';
import type {
  BatchDecisionInput,
  BatchDecisionResult,
  DecisionInput,
  DecisionResult,
  TransportHost,
} from '../contracts/transport.js';
import { decideBatch } from '../decisions/batch-decisions.js';
import { decide, refuse } from '../decisions/decisions.js';
import { consumeGrant } from '../decisions/grant-checks.js';
import { sweepLapsed } from '../decisions/sweep.js';
import { revokeReuse } from '../features/reuse/reuse-windows.js';
import { type WaitForDecisionOptions, waitForDecision } from '../guard/decision-wait.js';
import { guard } from '../guard/guard.js';
import {
  type CheckResult,
  checkCall,
  type OpenAction,
  type OpenContext,
  type OpenResult,
  openCall,
} from '../guard/open.js';
import { ClosedError, ConfigError, RequestNotFoundError } from '../lib/errors.js';
import { readMembers } from '../lib/input.js';
import { scrubText } from '../lib/redact.js';
import type { ApprovalRequest } from '../model/approval.js';
import type { GuardAction, GuardContext } from '../model/call.js';
import type { CountersignEventMap, CountersignEventName } from '../model/events.js';
import type { Grant, GrantCheck, GrantRecord } from '../model/grants.js';
import type { PolicyRule } from '../model/rule.js';
import {
  identitySchema,
  idSchema,
  pageSchema,
  parseInput,
  refusalSchema,
  waitOptionsSchema,
} from '../model/schemas.js';
import type { PolicyDecision } from '../policy/policy.js';
import { Runtime } from '../runtime/runtime.js';
import { auditLog } from './audit-log.js';
import type { Countersign } from './countersign-api.js';
import { type ExplainSubject, explainCall } from './explain.js';
import { type CountersignOptions, resolveOptions } from './options.js';
import { type WrapSpec, wrapGuarded } from './wrap.js';

const revokeReuseSchema = z.object({ by: identitySchema, reason: z.string().max(2000).optional() });

export function createCountersign(options: CountersignOptions): Countersign {
  return new CountersignInstance(new Runtime(resolveOptions(options)));
}

class CountersignInstance implements Countersign {
  private readonly ready: Promise<void>;
  /** Set once `ready` has resolved, so guard() after start-up adds no await of its own. */
  private started = false;
  private unsubscribe: (() => Promise<void>) | null = null;
  readonly audit: Countersign['audit'];

  constructor(private readonly runtime: Runtime) {
    this.audit = auditLog(runtime);
    this.ready = this.start().then(() => {
      this.started = true;
    });
    // Surfaced to the first caller that needs the transports; never an unhandled rejection.
    this.ready.catch(() => {});
  }

  private async start(): Promise<void> {
    const { store, transports, clock } = this.runtime.options;
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
        this.unsubscribe = await store.subscribe((id) => this.runtime.waiters.notice(id));
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
    return wrapGuarded(this, spec, fn);
  }

  decide(requestId: string, decision: DecisionInput): Promise<DecisionResult> {
    // As guard(): once started, no await of its own before decide's (which is async, so never throws here).
    if (this.started && !this.runtime.closed) return decide(this.runtime, requestId, decision);
    return this.whenReady().then(() => decide(this.runtime, requestId, decision));
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
    return this.runtime.options.features.followUps.sweep(this.runtime, limit);
  }

  async decideBatch(batch: BatchDecisionInput): Promise<BatchDecisionResult> {
    await this.whenReady();
    return decideBatch(this.runtime, batch);
  }

  explain(subject: ExplainSubject): PolicyDecision {
    return explainCall(this.runtime, subject);
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
    // Not async: its own promise around consumeGrant's would cost the action two more ticks.
    consume: (token: string, check: GrantCheck): Promise<GrantRecord> =>
      this.runtime.closed ? Promise.reject(new ClosedError()) : consumeGrant(this.runtime, token, check),
  };

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
