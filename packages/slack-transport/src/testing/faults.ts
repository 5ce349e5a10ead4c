// Faults to inject into Web API calls: errors, rate limits, delays.
/**
 * A fault to inject into the next call of a Web API method. Every variant may carry `delayMs`, which holds
 * the answer back (a slow Slack); a fault with only `delayMs` delays an otherwise normal answer.
 */
export type SlackFault =
  /** Answer HTTP 200 `{ ok: false, error }`, plus any `extra` fields (e.g. `needed`, `response_metadata`). */
  | {
      readonly error: string;
      readonly extra?: Readonly<Record<string, unknown>> | undefined;
      readonly delayMs?: number | undefined;
    }
  /** Answer this HTTP status (e.g. 500, 503) with `body` (default: an empty body). */
  | { readonly status: number; readonly body?: string | undefined; readonly delayMs?: number | undefined }
  /** Destroy the connection without answering: the client sees a network error. */
  | { readonly disconnect: true; readonly delayMs?: number | undefined }
  /** Answer normally, but only after `delayMs`. */
  | { readonly delayMs: number };

/** Options of `rateLimit`. */
export interface RateLimitOptions {
  /** How many consecutive calls get HTTP 429. */
  readonly times: number;
  /** Value of the `Retry-After` header, in seconds. Defaults to 1. */
  readonly retryAfterSeconds?: number | undefined;
}

/** What the emulator should do instead of (or before) answering a call. */
export type PlannedFault = { readonly kind: 'ratelimited'; readonly retryAfterSeconds: number } | SlackFault;

/** Wildcard method name: faults queued under it apply to any method. */
export const ANY_METHOD = '*';

/**
 * Queues of faults per Web API method. Rate limits are consulted before `failNext` faults, method-specific
 * queues before the `*` queue; each fault is consumed by exactly one call.
 */
export class FaultPlan {
  readonly #rateLimits = new Map<string, { remaining: number; retryAfterSeconds: number }>();
  readonly #queues = new Map<string, SlackFault[]>();

  rateLimit(method: string, options: RateLimitOptions): void {
    if (!Number.isInteger(options.times) || options.times < 0) {
      throw new RangeError('[countersign] [slack-emulator] rateLimit times must be a non-negative integer');
    }
    this.#rateLimits.set(method, {
      remaining: options.times,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
    });
  }

  failNext(method: string, fault: SlackFault): void {
    const queue = this.#queues.get(method) ?? [];
    queue.push(fault);
    this.#queues.set(method, queue);
  }

  /** Removes every queued fault and rate limit. */
  clear(): void {
    this.#rateLimits.clear();
    this.#queues.clear();
  }

  /** Consumes and returns the fault for this call, if any. */
  take(method: string): PlannedFault | undefined {
    for (const key of [method, ANY_METHOD]) {
      const limit = this.#rateLimits.get(key);
      if (limit !== undefined && limit.remaining > 0) {
        limit.remaining -= 1;
        return { kind: 'ratelimited', retryAfterSeconds: limit.retryAfterSeconds };
      }
    }
    for (const key of [method, ANY_METHOD]) {
      const fault = this.#queues.get(key)?.shift();
      if (fault !== undefined) return fault;
    }
    return undefined;
  }
}
