// waitForDecision(): waits, without running anything, until a request is decided or expires.

import {
  ApprovalPendingError,
  ClosedError,
  ErrorCode,
  isCountersignError,
  RequestNotFoundError,
} from '../lib/errors.js';
import { type ApprovalRequest, EXPIRED_REASON } from '../model/approval.js';
import type { Sleeper } from '../runtime/alarm.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Waiter } from '../runtime/waiters.js';

export interface WaitForDecisionOptions {
  /** Aborting stops waiting (rejecting with `ApprovalPendingError`); the request stays as it is. */
  signal?: AbortSignal | undefined;
}

/**
 * Resolves with the request once it is no longer pending: decided, cancelled, or expired at its
 * deadline (this wait expires it, as a waiting guard would). Woken by writes in this process and
 * by the store's notifications, and polls in case one is lost.
 */
export function waitForDecision(
  runtime: Runtime,
  requestId: string,
  options: WaitForDecisionOptions = {},
): Promise<ApprovalRequest> {
  return new Promise((resolve, reject) => {
    new DecisionWait(runtime, requestId, options.signal, resolve, reject).look();
  });
}

class DecisionWait implements Waiter, Sleeper {
  alarmAt = 0;
  alarmIndex = -1;
  #looking = false;
  #again = false;
  #done = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly requestId: string,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (request: ApprovalRequest) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    runtime.waiters.add(requestId, this);
    signal?.addEventListener('abort', this);
  }

  handleEvent(): void {
    this.wake();
  }

  wake(): void {
    this.runtime.alarm.cancel(this);
    this.look();
  }

  look(): void {
    if (this.#done) return;
    if (this.#looking) {
      this.#again = true;
      return;
    }
    this.#looking = true;
    this.#step().then(
      (pauseMs) => {
        this.#looking = false;
        if (this.#done) return;
        if (this.#again || pauseMs === 0) {
          this.#again = false;
          this.look();
        } else this.runtime.alarm.set(this, pauseMs);
      },
      (error: unknown) => this.#finish(() => this.reject(error)),
    );
  }

  /** One look: resolves the wait, or says how long to pause. */
  async #step(): Promise<number> {
    const { runtime } = this;
    if (runtime.closed) throw new ClosedError();
    let request: ApprovalRequest | null;
    try {
      request = await runtime.load(this.requestId);
    } catch (error) {
      // A read decides nothing, so a passing store outage is ridden out while waiting.
      if (!isCountersignError(error, ErrorCode.StoreFailed) || this.signal?.aborted) throw error;
      return runtime.options.pollMs;
    }
    if (request === null) throw new RequestNotFoundError(this.requestId);
    if (request.status !== 'pending') {
      this.#finish(() => this.resolve(request));
      return 0;
    }
    if (this.signal?.aborted) throw new ApprovalPendingError(request.id, request.expiresAt);
    const remaining = request.expiresAt - runtime.now();
    if (remaining <= 0) {
      await runtime.settle(request, 'expired', EXPIRED_REASON);
      return 0;
    }
    return Math.min(remaining, runtime.options.pollMs);
  }

  #finish(settle: () => void): void {
    if (this.#done) return;
    this.#done = true;
    this.runtime.alarm.cancel(this);
    this.runtime.waiters.remove(this.requestId, this);
    this.signal?.removeEventListener('abort', this);
    settle();
  }
}
