// Coalesces repeated refusals: one audited entry per caller, request and reason in a window, in bounded memory.
import { checkKeys, positiveInteger } from './options.js';

export interface CoalesceRefusalsOptions {
  /** How long one audited refusal stands for the same caller's repeats of it, in seconds. Default 300. */
  windowSeconds?: number | undefined;
  /**
   * Refusals remembered at most. Past it the oldest is forgotten early, so its next repeat is audited
   * again: memory stays bounded and no refusal goes unaudited for lack of room. Default 10000.
   */
  maxTracked?: number | undefined;
}

export const COALESCE_REFUSALS_KEYS = ['windowSeconds', 'maxTracked'] as const;

/**
 * Decides which refusals reach the audit log. Its answer covers only this process; each process
 * behind a load balancer audits the first of each kind it sees.
 */
export interface RefusalCoalescer {
  /** True, remembered until the window ends, when no refusal of this kind was audited in the window. */
  claim(caller: string, requestId: string, reason: string, now: number): boolean;
  /** Forgets a claim whose entry could not be written, so the next repeat is audited. */
  release(caller: string, requestId: string, reason: string): void;
  /** Refusals remembered now. */
  readonly size: number;
}

export function createRefusalCoalescer(options: CoalesceRefusalsOptions = {}): RefusalCoalescer {
  checkKeys(options, COALESCE_REFUSALS_KEYS, 'coalesceRefusals');
  const windowMs = positiveInteger(options.windowSeconds, 300, 'coalesceRefusals.windowSeconds') * 1000;
  const maxTracked = positiveInteger(options.maxTracked, 10_000, 'coalesceRefusals.maxTracked');
  // Insertion order is claim order, so the first entries are the first to lapse.
  const until = new Map<string, number>();
  const keyOf = (caller: string, requestId: string, reason: string) =>
    JSON.stringify([caller, requestId, reason]);
  return {
    claim(caller, requestId, reason, now) {
      const key = keyOf(caller, requestId, reason);
      const known = until.get(key);
      if (known !== undefined && known > now) return false;
      until.delete(key);
      for (const [oldest, lapses] of until) {
        if (lapses > now && until.size < maxTracked) break;
        until.delete(oldest);
      }
      until.set(key, now + windowMs);
      return true;
    },
    release(caller, requestId, reason) {
      until.delete(keyOf(caller, requestId, reason));
    },
    get size() {
      return until.size;
    },
  };
}
