// The wait for a decision: looks at the request until it is decided, then runs or reports.

import {
  AlreadyStartedError,
  ApprovalCancelledError,
  ApprovalDeniedError,
  ApprovalExpiredError,
  ApprovalPendingError,
  ClosedError,
  CorruptRecordError,
  ErrorCode,
  isCountersignError,
} from '../lib/errors.js';
import { scrubText } from '../lib/redact.js';
import { type ApprovalRequest, EXPIRED_REASON } from '../model/approval.js';
import type { Opened, Prepared } from '../model/call.js';
import { claimDeadline, UNUSED_APPROVAL_REASON } from '../model/lapse.js';
import type { RoutedDecision } from '../policy/policy.js';
import type { Sleeper } from '../runtime/alarm.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Waiter } from '../runtime/waiters.js';
import { approvalProblems } from './approval-check.js';
import { type ClaimBasis, claimFirst } from './approval-claim.js';
import { decideCall } from './decide.js';
import { DELIVERY_OVER, deliver } from './delivery.js';
import { runGranted } from './granted-run.js';
import { subjectDraft } from './prepared-call.js';
import { openRequest } from './request-opening.js';

/** How a wait was woken since its last look: not, `STALE` (read before acting) or `CHANGED` (claim first). */
const STALE = 1;
const CHANGED = 2;

/** What one look at a waiting request found: look again after `pauseMs`, or the guard's outcome. */
type Step = { pauseMs: number } | { value: unknown };

const AGAIN: Step = Object.freeze({ pauseMs: 0 });

/**
 * One guard's wait for a decision, driven by callbacks: while the request is pending nothing of
 * the guard is suspended but this object and the promise it settles (an async loop kept its whole
 * frame, about 0.8 KB, for as long as it waited). It keeps the request's id and deadline, not a
 * version of the record; it is what the waiters wake; and it makes the AbortSignal transports see
 * only when one reads it, since a Node 20 AbortController costs about 0.75 KB.
 */
export class ApprovalWait implements Waiter, Sleeper, ClaimBasis {
  readonly requestId: string;
  readonly expiresAt: number;
  /** The rule of a request this guard created, which it may claim without a read; null for one it re-attached to. */
  readonly claimRule: string | null;
  readonly grantTtlMs: number;
  /**
   * How it was woken since the last look: 0 not; `STALE` while delivering (the request may have
   * changed since it was created, so the first look reads it; its own receipt writes do this);
   * `CHANGED` when a write or a notification says it changed, so the next look claims first
   * (stores with `claimApproved`).
   */
  #woken: 0 | typeof STALE | typeof CHANGED = 0;
  /**
   * `delivering` until delivery ends, then `looking` during a look and `paused` between looks;
   * `looking-again` when woken during a look, since the store may have changed after it read.
   */
  #state: 'delivering' | 'looking' | 'looking-again' | 'paused' | 'done' = 'delivering';
  #deliveryOver = false;
  #controller: AbortController | null = null;
  /** Ends a delivery still in flight; set while one is. */
  giveUpDelivery: (() => void) | null = null;
  /** Receipt writes of its delivery under way (see {@link wake}). */
  receiptWrites = 0;
  alarmAt = 0;
  alarmIndex = -1;

  /** Opens the request, delivers it and waits; the returned promise is the guard's. */
  static open(runtime: Runtime, prepared: Prepared, decision: RoutedDecision): Promise<unknown> {
    return new Promise((resolve, reject) => {
      openRequest(runtime, prepared, decision)
        .then(({ request: opened, created }) => {
          // The probe steps aside before the wait takes its place: a Set of two waiters is never made.
          if (created !== null) runtime.waiters.remove(opened.id, created);
          const wait = new ApprovalWait(runtime, prepared, opened, created !== null, resolve);
          if (created?.woken) wait.#woken = STALE;
          const delivered = opened.status === 'pending' ? deliver(runtime, opened, wait) : null;
          wait.#lookAfter(delivered, created ? opened : null);
        })
        .catch(reject);
    });
  }

  /** Starts waiting: the waiters can wake it, and the caller's abort ends delivery and wakes it. */
  private constructor(
    private readonly runtime: Runtime,
    private readonly prepared: Prepared,
    request: ApprovalRequest,
    created: boolean,
    /** Rejects too, given a rejected promise: keeping `reject` as well costs 56 B per guard. */
    private readonly resolve: (value: unknown) => void,
  ) {
    this.requestId = request.id;
    this.expiresAt = request.expiresAt;
    this.claimRule = created ? request.ruleId : null;
    this.grantTtlMs = request.grantTtlMs;
    runtime.waiters.add(this.requestId, this);
    // This object is the listener (handleEvent), so no closure per guard.
    prepared.signal?.addEventListener('abort', this);
  }

  /** The caller aborted: stop delivering, and look now, which cancels a pending request. */
  handleEvent(): void {
    this.endDelivery();
    this.wake();
  }

  /**
   * The first look, once delivery has ended; a delivery that failed ends the wait. For a request
   * this guard created, nothing woke it meanwhile, so it starts from the record it created, unread.
   */
  #lookAfter(delivered: Promise<void> | null, created: ApprovalRequest | null): void {
    const first = () => {
      this.#state = 'paused';
      const stale = this.#woken !== 0;
      if (this.#woken === STALE) this.#woken = 0;
      this.#look(stale ? null : created, true);
    };
    if (delivered === null) first();
    else delivered.then(first, (error: unknown) => this.#finish(error, true));
  }

  /**
   * Reads the request (or starts from `known`) and acts on it, unless a look is already under way.
   * Only later looks ride out a store outage: a store that fails the first read fails the guard.
   */
  #look(known: ApprovalRequest | null = null, first = false): void {
    if (this.#state === 'looking') this.#state = 'looking-again';
    if (this.#state !== 'paused') return;
    this.#state = 'looking';
    const claim = this.#woken === CHANGED && this.claimRule !== null;
    this.#woken = 0;
    checkApproval(this.runtime, this.prepared, this, known, claim, !first)
      .then((step) => {
        if ('value' in step) return this.#finish(step.value, false);
        const again = this.#state === 'looking-again';
        this.#state = 'paused';
        if (step.pauseMs <= 0 || again) return this.#look();
        this.runtime.alarm.set(this, step.pauseMs);
      })
      // Whatever fails, the step or what follows it, ends the wait: the guard never hangs.
      .catch((error: unknown) => this.#finish(error, true));
  }

  /** The request may have changed (`notified`: a write or a notification says so): look again now. */
  wake(notified = false): void {
    // While delivering, any wake makes the first look read the request, and a write other than
    // this guard's own receipts makes it claim first. (A wake taken for its own only costs the claim.)
    if (notified && (this.#state !== 'delivering' || this.receiptWrites === 0)) this.#woken = CHANGED;
    else if (this.#state === 'delivering' && this.#woken === 0) this.#woken = STALE;
    this.runtime.alarm.cancel(this);
    this.#look();
  }

  #finish(outcome: unknown, failed: boolean): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    this.close();
    this.resolve(failed ? Promise.reject(outcome) : outcome);
  }

  /** Stops waiting and leaves nothing behind: no timer, waiter, listener or delivery. */
  close(): void {
    this.runtime.alarm.cancel(this);
    this.endDelivery();
    this.runtime.waiters.remove(this.requestId, this);
    this.prepared.signal?.removeEventListener('abort', this);
  }

  get deliveryOver(): boolean {
    return this.#deliveryOver;
  }

  /** Aborted once the request no longer needs delivering, however late a transport reads it. */
  get deliverySignal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#deliveryOver) this.#controller.abort(DELIVERY_OVER);
    }
    return this.#controller.signal;
  }

  endDelivery(): void {
    if (this.#deliveryOver) return;
    this.#deliveryOver = true;
    this.#controller?.abort(DELIVERY_OVER);
    this.giveUpDelivery?.();
  }
}

/**
 * Refuses, audited, an approved record that does not approve this exact call under its rule:
 * the action never runs on a store's word alone.
 */
async function checkApproved(
  runtime: Runtime,
  prepared: Prepared,
  requestId: string,
  request: ApprovalRequest,
): Promise<void> {
  const problems = approvalProblems(
    request,
    {
      requestId,
      fingerprint: prepared.fingerprint,
      sessionId: prepared.sessionId,
      actor: prepared.actor,
      onBehalfOf: prepared.onBehalfOf,
      risk:
        runtime.options.features.riskRouting.size === 0
          ? undefined
          : decideCall(runtime, prepared).route?.risk,
      onCall: await runtime.options.features.followUps.onCallNow(runtime, request),
    },
    runtime.options,
    runtime.now(),
  );
  if (problems.length === 0) return;
  const error = new CorruptRecordError('approval', problems);
  const draft = subjectDraft(runtime, 'refused', prepared, request.ruleId);
  await runtime
    .append(
      [
        {
          ...draft,
          requestId,
          detail: scrubText(`corrupt record, not run: ${problems.join('; ')}`).slice(0, 1000),
        },
      ],
      null,
    )
    .catch(() => {});
  throw error;
}

/** A request still waiting when the caller will not wait: what `open()` returns, or the guard's error. */
function notYet(prepared: Prepared, request: ApprovalRequest): Step {
  if (prepared.mode === 'open') {
    const opened: Opened = {
      status: 'pending',
      requestId: request.id,
      expiresAt: request.expiresAt,
      ruleId: request.ruleId,
    };
    return { value: opened };
  }
  throw new ApprovalPendingError(request.id, request.expiresAt);
}

/**
 * One look at a waiting request: acts on its state and says what the wait does next. `known` is
 * the record this guard just created, looked at without a read; with `claim`, a request this guard
 * created is claimed first, and read only if that claimed nothing. With `rideOut`, a read the store
 * fails is tried again later, until the deadline.
 */
async function checkApproval(
  runtime: Runtime,
  prepared: Prepared,
  wait: ApprovalWait,
  known: ApprovalRequest | null,
  claim: boolean,
  rideOut: boolean,
): Promise<Step> {
  const signal = prepared.signal;
  const { pollMs } = runtime.options;
  // A closing process stops waiting but leaves the request pending, for a restart to resume.
  if (runtime.closed) throw new ClosedError();
  if (known !== null) return lookAt(runtime, prepared, wait, known);
  if (claim && prepared.mode !== 'open' && !signal?.aborted) {
    const claimed = await claimFirst(runtime, prepared, wait);
    if (claimed !== null) return claimed;
  }
  let request: ApprovalRequest | null;
  try {
    request = await runtime.load(wait.requestId);
  } catch (error) {
    // A read grants nothing, so ride out a store outage until the deadline, then fail closed.
    const retry = rideOut && isCountersignError(error, ErrorCode.StoreFailed) && !signal?.aborted;
    if (!retry || runtime.now() >= wait.expiresAt) throw error;
    return { pauseMs: Math.min(pollMs, wait.expiresAt - runtime.now()) };
  }
  if (request === null)
    throw new ApprovalCancelledError(wait.requestId, 'the request vanished from the store');
  return lookAt(runtime, prepared, wait, request);
}

/** Acts on the request's state and says what the wait does next. */
async function lookAt(
  runtime: Runtime,
  prepared: Prepared,
  wait: ApprovalWait,
  request: ApprovalRequest,
): Promise<Step> {
  const signal = prepared.signal;
  const { pollMs } = runtime.options;
  // Settled elsewhere (another process decided it): no longer a twin to re-attach to, nor counted.
  if (request.status !== 'pending') runtime.pending.remove(request, request.id);
  switch (request.status) {
    case 'pending': {
      if (signal?.aborted && !prepared.detach) {
        await runtime.settle(request, 'cancelled', 'aborted by the caller');
        return AGAIN;
      }
      const remaining = request.expiresAt - runtime.now();
      if (remaining <= 0) {
        await runtime.settle(request, 'expired', EXPIRED_REASON);
        return AGAIN;
      }
      if (!prepared.wait || signal?.aborted) return notYet(prepared, request);
      await runtime.options.features.followUps.due(runtime, request);
      return { pauseMs: Math.min(remaining, pollMs) };
    }
    case 'approved': {
      if (request.grantId !== null) throw new AlreadyStartedError(request.id, 'approved and claimed');
      if (runtime.now() >= claimDeadline(request)) {
        await runtime.settle(request, 'expired', UNUSED_APPROVAL_REASON);
        return AGAIN;
      }
      if (prepared.mode === 'open') {
        const opened: Opened = { status: 'approved', requestId: request.id, ruleId: request.ruleId };
        return { value: opened };
      }
      // A detached caller that aborted runs nothing; the approval stays usable for a resume.
      if (signal?.aborted) throw new ApprovalPendingError(request.id, request.expiresAt);
      await checkApproved(runtime, prepared, wait.requestId, request);
      const { features } = runtime.options;
      const narrowed = features.narrow(runtime, prepared, request);
      await features.onClaim(runtime, prepared, request, narrowed !== null);
      const call = narrowed?.prepared ?? prepared;
      wait.endDelivery();
      return { value: await runGranted(runtime, call, request, request.ruleId, request.grantTtlMs) };
    }
    case 'denied': {
      const denial = [...request.decisions].reverse().find((d) => d.outcome === 'deny');
      throw new ApprovalDeniedError(request.id, denial?.approver ?? null, denial?.comment ?? null);
    }
    case 'expired':
      throw new ApprovalExpiredError(request.id, request.decidedAt !== null);
    case 'cancelled':
      throw new ApprovalCancelledError(request.id, request.closedReason ?? 'cancelled');
    case 'executed':
    case 'failed':
      throw new AlreadyStartedError(request.id, request.status);
  }
}
