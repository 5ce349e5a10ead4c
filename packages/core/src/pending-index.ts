// The requests this process opened that may still be pending, by actor, session and call.

/**
 * What de-duplication and the per-actor cap read: a call identical to a pending one re-attaches
 * to it, and an actor with too many pending requests is refused. Entries can go stale when
 * another process settles a request; readers re-check what they find against the store, and
 * `prune` drops the stale ones. The strings it holds are the stored records' own.
 */
export class PendingIndex {
  readonly #byActor = new Map<string, { count: number; sessions: Map<string, Map<string, string>> }>();
  /** requestId → its place, so a settled request is forgotten without knowing its call. */
  readonly #places = new Map<string, { actor: string; sessionId: string; call: string }>();
  /** Requests being created now, so identical calls made at the same moment share one. */
  readonly #opening = new Map<string, Promise<unknown>>();

  /**
   * Runs `create` unless an identical call is already creating its request, in which case it
   * waits for that one and returns null (the caller then finds the twin).
   */
  async once<T>(actor: string, sessionId: string, call: string, create: () => Promise<T>): Promise<T | null> {
    const key = JSON.stringify([actor, sessionId, call]);
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

  find(actor: string, sessionId: string, call: string): string | undefined {
    return this.#byActor.get(actor)?.sessions.get(sessionId)?.get(call);
  }

  add(actor: string, sessionId: string, call: string, requestId: string): void {
    if (this.#places.has(requestId)) return;
    let entry = this.#byActor.get(actor);
    if (entry === undefined) {
      entry = { count: 0, sessions: new Map() };
      this.#byActor.set(actor, entry);
    }
    let calls = entry.sessions.get(sessionId);
    if (calls === undefined) {
      calls = new Map();
      entry.sessions.set(sessionId, calls);
    }
    if (calls.has(call)) return;
    calls.set(call, requestId);
    entry.count += 1;
    this.#places.set(requestId, { actor, sessionId, call });
  }

  /** Forgets a request (settled, or found stale). */
  remove(requestId: string): void {
    const place = this.#places.get(requestId);
    if (place === undefined) return;
    this.#places.delete(requestId);
    const entry = this.#byActor.get(place.actor);
    const calls = entry?.sessions.get(place.sessionId);
    if (entry === undefined || calls?.get(place.call) !== requestId) return;
    calls.delete(place.call);
    entry.count -= 1;
    if (calls.size === 0) entry.sessions.delete(place.sessionId);
    if (entry.count === 0) this.#byActor.delete(place.actor);
  }

  count(actor: string): number {
    return this.#byActor.get(actor)?.count ?? 0;
  }

  /** The request ids held for an actor, for pruning. */
  requestIds(actor: string): string[] {
    const ids: string[] = [];
    for (const calls of this.#byActor.get(actor)?.sessions.values() ?? []) ids.push(...calls.values());
    return ids;
  }
}
