// The requests this process opened that may still be pending, by actor, session, principal and call.

/** What identifies a call for de-duplication: an `ApprovalRequest` and a prepared call both have these. */
export interface PendingCall {
  actor: string;
  sessionId: string;
  onBehalfOf: string | null;
  fingerprint: string;
}

/** principal ('' for none) → fingerprint → request id. */
type Calls = Map<string, Map<string, string>>;

/**
 * What de-duplication and the per-actor cap read: a call identical to a pending one re-attaches
 * to it, and an actor with too many pending requests is refused. Entries can go stale when
 * another process settles a request; readers re-check what they find against the store and drop
 * the stale ones. It keys on the records' own strings and builds none per request: it is held for
 * every pending request.
 */
export class PendingIndex {
  readonly #byActor = new Map<string, { count: number; sessions: Map<string, Calls> }>();
  /** Requests being created now, so identical calls made at the same moment share one. */
  readonly #opening = new Map<string, Promise<unknown>>();

  /**
   * Runs `create` unless an identical call is already creating its request, in which case it
   * waits for that one and returns null (the caller then finds the twin).
   */
  async once<T>(call: PendingCall, create: () => Promise<T>): Promise<T | null> {
    const key = JSON.stringify([call.actor, call.sessionId, call.onBehalfOf, call.fingerprint]);
    const running = this.#opening.get(key);
    if (running !== undefined) {
      await running.catch(() => {});
      return null;
    }
    const created = create();
    this.#opening.set(key, created);
    try {
      return await created;
    } finally {
      this.#opening.delete(key);
    }
  }

  find(call: PendingCall): string | undefined {
    return this.#byActor
      .get(call.actor)
      ?.sessions.get(call.sessionId)
      ?.get(call.onBehalfOf ?? '')
      ?.get(call.fingerprint);
  }

  add(call: PendingCall, requestId: string): void {
    let entry = this.#byActor.get(call.actor);
    if (entry === undefined) {
      entry = { count: 0, sessions: new Map() };
      this.#byActor.set(call.actor, entry);
    }
    let calls = entry.sessions.get(call.sessionId);
    if (calls === undefined) {
      calls = new Map();
      entry.sessions.set(call.sessionId, calls);
    }
    const principal = call.onBehalfOf ?? '';
    let byFingerprint = calls.get(principal);
    if (byFingerprint === undefined) {
      byFingerprint = new Map();
      calls.set(principal, byFingerprint);
    }
    if (byFingerprint.has(call.fingerprint)) return;
    byFingerprint.set(call.fingerprint, requestId);
    entry.count += 1;
  }

  /** Forgets a request (settled, or found stale), if it is the one held for its call. */
  remove(call: PendingCall, requestId: string): void {
    const entry = this.#byActor.get(call.actor);
    const calls = entry?.sessions.get(call.sessionId);
    const principal = call.onBehalfOf ?? '';
    const byFingerprint = calls?.get(principal);
    if (entry === undefined || calls === undefined || byFingerprint?.get(call.fingerprint) !== requestId)
      return;
    byFingerprint.delete(call.fingerprint);
    entry.count -= 1;
    if (byFingerprint.size === 0) calls.delete(principal);
    if (calls.size === 0) entry.sessions.delete(call.sessionId);
    if (entry.count === 0) this.#byActor.delete(call.actor);
  }

  count(actor: string): number {
    return this.#byActor.get(actor)?.count ?? 0;
  }

  /** The requests held for an actor, with their calls, for pruning. */
  entries(actor: string): { call: PendingCall; requestId: string }[] {
    const out: { call: PendingCall; requestId: string }[] = [];
    for (const [sessionId, calls] of this.#byActor.get(actor)?.sessions ?? []) {
      for (const [principal, byFingerprint] of calls) {
        for (const [fingerprint, requestId] of byFingerprint) {
          out.push({
            call: { actor, sessionId, onBehalfOf: principal === '' ? null : principal, fingerprint },
            requestId,
          });
        }
      }
    }
    return out;
  }
}
