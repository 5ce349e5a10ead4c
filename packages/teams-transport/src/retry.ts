// When a failed Bot Connector call is tried again, and after how long: the backoff Teams documents.

/**
 * Statuses Teams asks bots to retry: 429, "In addition to retrying error code 429, error codes 412,
 * 502, and 504 must also be retried", with "an exponential backoff with a random jitter".
 * https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit
 */
const TRANSIENT: ReadonlySet<number> = new Set([412, 429, 502, 504]);

/**
 * The same page's example: `ExponentialBackoff(3, min 2 s, max 20 s, delta 1 s)` with a randomized
 * ±20 % delta. The n-th retry waits `min(max, min + (2^n − 1) × delta × (1 ± 20 %))`: about 3 s,
 * 5 s then 9 s, each one jittered.
 */
export const BACKOFF = { retries: 3, minMs: 2_000, maxMs: 20_000, deltaMs: 1_000, jitter: 0.2 } as const;

export interface RetryInput {
  status: number;
  /** The response's `Retry-After` header. */
  retryAfter: string | null;
  /** Backoff retries already made for this call. */
  backoffs: number;
  /** Epoch milliseconds, to read a `Retry-After` date. */
  now: number;
  /** A number in [0, 1): the jitter's source. */
  random: () => number;
}

/**
 * How long to wait before trying a failed call again, or null to give up at once. A 429 with a
 * readable `Retry-After` waits what it says (the caller bounds it by its deadline); a 429 without
 * one, a 412, 502 or 504 backs off, at most {@link BACKOFF}`.retries` times.
 */
export function nextRetry(input: RetryInput): { waitMs: number; backoff: boolean } | null {
  if (!TRANSIENT.has(input.status)) return null;
  if (input.status === 429) {
    const after = retryAfterMs(input.retryAfter, input.now);
    if (after !== null) return { waitMs: after, backoff: false };
  }
  if (input.backoffs >= BACKOFF.retries) return null;
  return { waitMs: backoffMs(input.backoffs + 1, input.random), backoff: true };
}

/** The wait before the `retry`-th backoff retry (from 1). */
export function backoffMs(retry: number, random: () => number): number {
  const r = Math.min(Math.max(random(), 0), 1);
  const jitter = 1 - BACKOFF.jitter + 2 * BACKOFF.jitter * r;
  return Math.min(BACKOFF.maxMs, Math.round(BACKOFF.minMs + (2 ** retry - 1) * BACKOFF.deltaMs * jitter));
}

/**
 * `Retry-After` as delay-seconds or an HTTP date, at least one second so 0 cannot become a busy
 * loop; null when there is none or it cannot be read (then the backoff applies).
 */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (header === null || header.trim() === '') return null;
  if (/^\s*\d+\s*$/.test(header)) return Math.max(1, Number(header)) * 1000;
  // An HTTP date names its day and month; `Date.parse` alone would read "1.5" as a date.
  const date = /[A-Za-z]/.test(header) ? Date.parse(header) : Number.NaN;
  return Number.isFinite(date) ? Math.max(1_000, date - now) : null;
}
