// Development mode's one-time sign-in codes: random, single use, short-lived, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@countersign/core';

export interface DevSignInCodes {
  /** A new code, valid once until `ttlMs` from now. */
  issue(): string;
  /** True exactly once for a code issued and not expired; the code is spent whether or not it was. */
  redeem(code: string): boolean;
}

/** Codes outstanding at most: issuing more drops the oldest. */
const CAPACITY = 16;

/**
 * Only the SHA-256 of each code is kept, and a submitted code is compared with every one held in
 * constant time, so neither the heap nor response timing gives a usable code away.
 */
export function createDevSignInCodes(ttlMs: number, clock: Clock): DevSignInCodes {
  const held: { digest: Buffer; expiresAt: number }[] = [];
  const digest = (code: string) => createHash('sha256').update(code).digest();
  return {
    issue() {
      const code = randomBytes(32).toString('base64url');
      if (held.length >= CAPACITY) held.shift();
      held.push({ digest: digest(code), expiresAt: clock.now() + ttlMs });
      return code;
    },
    redeem(code) {
      const submitted = digest(code);
      let found = -1;
      for (let i = 0; i < held.length; i++) {
        if (timingSafeEqual((held[i] as { digest: Buffer }).digest, submitted)) found = i;
      }
      if (found === -1) return false;
      const [entry] = held.splice(found, 1);
      return entry !== undefined && entry.expiresAt > clock.now();
    },
  };
}
