// One tool call through countersign: run it at once, or wait for a decision while reporting progress.
import {
  type ApprovalPendingError,
  type Countersign,
  describeOutcome,
  type GuardAction,
  type GuardContext,
  isCountersignError,
} from '@countersign/core';
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
}

export type GuardedCallOutcome<T> = { ok: true; value: T } | ({ ok: false } & Refusal);

/**
 * Guards `action` without blocking first, so a pending request is known at once; then waits on the
 * same idempotency key, which runs the action exactly once if approved. Countersign refusals
 * become a `Refusal` for the model; anything `run` itself throws propagates.
 */
export async function guardedCall<T>(
  cs: Countersign,
  action: GuardAction<T>,
  context: GuardContext & { idempotencyKey: string },
  options: GuardedCallOptions,
): Promise<GuardedCallOutcome<T>> {
  const base: GuardContext = { ...context };
  if (options.onAbort !== undefined) base.onAbort = options.onAbort;
  let expiresAt: number;
  try {
    return { ok: true, value: await cs.guard(action, { ...base, wait: false }) };
  } catch (error) {
    if (!isCountersignError(error, 'approval_pending')) return refused(error);
    expiresAt = (error as ApprovalPendingError).expiresAt;
  }
  const stop = reportWhileWaiting(expiresAt, options);
  try {
    return { ok: true, value: await cs.guard(action, { ...base, wait: true }) };
  } catch (error) {
    return refused(error);
  } finally {
    stop();
  }
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
