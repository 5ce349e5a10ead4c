// Calls answered "still waiting for approval" before the client gave up, kept so that the same call made again resumes its request.
import { createHash } from 'node:crypto';
import { canonicalJson, type GuardAction, type GuardContext } from '@countersign/core';

/** Calls remembered at most; the oldest is forgotten first (its retry then asks again). */
const MAX_PARKED = 1_000;

/**
 * The idempotency key of each parked call, by the call's identity (who, in which session, for whom,
 * which action on which resource with which params). A model that calls the same tool with the
 * same arguments again gets the key back once, so core re-attaches to the request: it waits while
 * pending, runs once if approved, and reports a denial or expiry; it never asks a second time.
 */
export class ParkedCalls {
  readonly #keys = new Map<string, string>();

  /** The call's identity, or null when its params are not plain JSON (core refuses such a call anyway). */
  identify(action: GuardAction<unknown>, context: GuardContext): string | null {
    let identity: string;
    try {
      identity = canonicalJson({
        actor: context.actor,
        onBehalfOf: context.onBehalfOf ?? null,
        sessionId: context.sessionId,
        name: action.name,
        resource: action.resource ?? null,
        params: action.params ?? {},
      });
    } catch {
      return null;
    }
    return createHash('sha256').update(identity).digest('hex');
  }

  /** The key a parked call with this identity was made with, forgotten as it is handed out. */
  take(identity: string | null): string | undefined {
    if (identity === null) return undefined;
    const key = this.#keys.get(identity);
    this.#keys.delete(identity);
    return key;
  }

  park(identity: string | null, idempotencyKey: string): void {
    if (identity === null) return;
    this.#keys.delete(identity);
    this.#keys.set(identity, idempotencyKey);
    if (this.#keys.size > MAX_PARKED) this.#keys.delete(this.#keys.keys().next().value as string);
  }
}
