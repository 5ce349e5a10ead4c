// One tool call through countersign: run it at once, or wait for a decision while reporting progress.
import {
  type ApprovalPendingError,
  type Countersign,
  describeOutcome,
  type GuardAction,
  type GuardContext,
  isCountersignError,
} from '@countersign/core';
import type { ParkedCalls } from './parked-calls.js';
import type { Refusal } from './tool-result.js';

/** Reported when a call starts waiting for approval, then every `progressIntervalMs` until decided. */
export interface WaitingUpdate {
  /** 1 for the first report, then 2, 3, …: MCP progress must increase. */
  count: number;
  /** When the request expires, in epoch milliseconds. */
  expiresAt: number;
}

export interface GuardedCallOptions {
  onWaiting?: ((update: WaitingUpdate) => void | Promise<void>) | undefined;
  progressIntervalMs: number;
  /** What aborting the call's signal does to a pending request. Default: core's (`'cancel'`). */
  onAbort?: 'cancel' | 'detach' | undefined;
  /**
   * A call still waiting this long after it started is answered as pending, its request left
   * pending and the call parked in `parked`; null waits for the decision however long it takes.
   */
  answerWithinMs: number | null;
  parked: ParkedCalls;
}

export type GuardedCallOutcome<T> = { ok: true; value: T } | ({ ok: false } & Refusal);

/** Added to core's text for a call answered while pending: over MCP, only a call made again can run it. */
const CALL_AGAIN = 'Call the tool again with the same arguments to wait for the decision.';

/**
 * Guards `action` without blocking first, so a pending request is known at once; then waits on the
 * same idempotency key, which runs the action exactly once if approved. Countersign refusals
 * become a `Refusal` for the model; anything `run` itself throws propagates. A call identical to
 * one parked earlier takes over its idempotency key, and so its request.
 */
export async function guardedCall<T>(
  cs: Countersign,
  action: GuardAction<T>,
  context: GuardContext & { idempotencyKey: string },
  options: GuardedCallOptions,
): Promise<GuardedCallOutcome<T>> {
  const startedAt = performance.now();
  const identity = options.parked.identify(action, context);
  const base = { ...context, idempotencyKey: options.parked.take(identity) ?? context.idempotencyKey };
  if (options.onAbort !== undefined) base.onAbort = options.onAbort;
  let pending: ApprovalPendingError;
  try {
    return { ok: true, value: await cs.guard(action, { ...base, wait: false }) };
  } catch (error) {
    if (!isCountersignError(error, 'approval_pending')) return refused(error);
    pending = error as ApprovalPendingError;
  }
  const stop = reportWhileWaiting(pending.expiresAt, options);
  try {
    if (options.answerWithinMs === null) {
      return { ok: true, value: await cs.guard(action, { ...base, wait: true }) };
    }
    // Counted from the call's start, as the client counts its timeout; made only for a call that waits.
    const left = options.answerWithinMs - (performance.now() - startedAt);
    const waited = await waitUntil(
      cs,
      action,
      base,
      AbortSignal.timeout(Math.max(0, Math.ceil(left))),
      pending,
    );
    if (waited.ok || waited.code !== 'approval_pending') return waited;
    options.parked.park(identity, base.idempotencyKey);
    return { ...waited, text: `${waited.text} ${CALL_AGAIN}` };
  } catch (error) {
    return refused(error);
  } finally {
    stop();
  }
}

/**
 * Waits for the decision until `deadline`, then stops waiting and leaves the request pending.
 * The client's own abort still does what `onAbort` says.
 */
async function waitUntil<T>(
  cs: Countersign,
  action: GuardAction<T>,
  base: GuardContext,
  deadline: AbortSignal,
  pending: ApprovalPendingError,
): Promise<GuardedCallOutcome<T>> {
  const client = base.signal;
  let stopped: unknown = pending;
  if (!client?.aborted && !deadline.aborted) {
    const signal = client === undefined ? deadline : AbortSignal.any([client, deadline]);
    try {
      return { ok: true, value: await cs.guard(action, { ...base, wait: true, onAbort: 'detach', signal }) };
    } catch (error) {
      // Only an abort makes a waiting guard throw `approval_pending`: any other error is the outcome.
      if (!isCountersignError(error, 'approval_pending')) return refused(error);
      stopped = error;
    }
  }
  if (client?.aborted && base.onAbort !== 'detach') return refused(await cancelPending(cs, action, base));
  return refused(stopped);
}

/**
 * Cancels the request the call is waiting on, as a waiting guard whose signal aborts does: a guard
 * on the same key, aborted once it is under way (an aborted signal never runs an action).
 */
async function cancelPending<T>(
  cs: Countersign,
  action: GuardAction<T>,
  base: GuardContext,
): Promise<unknown> {
  const controller = new AbortController();
  const cancelling = cs.guard(
    {
      ...action,
      run: () => {
        throw new Error('a call being cancelled never runs');
      },
    },
    { ...base, wait: true, onAbort: 'cancel', signal: controller.signal },
  );
  controller.abort();
  try {
    await cancelling;
  } catch (error) {
    return error;
  }
  return new Error('the call was cancelled');
}

function refused(error: unknown): { ok: false } & Refusal {
  if (!isCountersignError(error)) throw error;
  const outcome = describeOutcome(error);
  return { ok: false, ...outcome };
}

/** Reports now and then every interval; a report that fails (client gone) is not the call's failure. */
function reportWhileWaiting(expiresAt: number, options: GuardedCallOptions): () => void {
  const { onWaiting } = options;
  if (onWaiting === undefined) return () => {};
  let count = 0;
  const report = () => {
    count += 1;
    Promise.resolve()
      .then(() => onWaiting({ count, expiresAt }))
      .catch(() => {});
  };
  report();
  const timer = setInterval(report, options.progressIntervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
