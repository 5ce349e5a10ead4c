// Waiters: the guards waiting on each request, woken when it may have changed.
/**
 * A waiting guard; `wake()` makes it look at its request again. `notified` is true when the wake
 * says the request changed (a write or a store notification), not that a look is merely due.
 */
export interface Waiter {
  wake(notified?: boolean): void;
}

/**
 * Stands in for a guard between creating its request and starting to wait on it: a wake in that
 * gap is remembered, so the guard knows its request may have changed before it first looks.
 */
export class WakeProbe implements Waiter {
  woken = false;
  wake(): void {
    this.woken = true;
  }
}

/**
 * Wakes guards waiting on a request when something about it may have changed. A wake is only a
 * hint: the waiter re-reads the request from the store.
 */
export class Waiters {
  // One waiter, the usual case, is kept as is; a Set only when several guards wait on one request.
  private readonly byRequest = new Map<string, Waiter | Set<Waiter>>();
  /** Requests this runtime is writing, and how many writes: a store's notice of one waits for it. */
  private readonly writing = new Map<string, number>();
  /** Notices that arrived during this runtime's own write and have not been answered by a wake. */
  private readonly held = new Set<string>();

  add(requestId: string, waiter: Waiter): void {
    const current = this.byRequest.get(requestId);
    if (current === undefined) this.byRequest.set(requestId, waiter);
    else if (!(current instanceof Set)) this.byRequest.set(requestId, new Set([current, waiter]));
    else current.add(waiter);
  }

  remove(requestId: string, waiter: Waiter): void {
    const current = this.byRequest.get(requestId);
    if (current === waiter) this.byRequest.delete(requestId);
    else if (current instanceof Set) {
      current.delete(waiter);
      // Back to the single waiter as is: a Set of one kept for every pending request costs about 150 B.
      if (current.size === 1) this.byRequest.set(requestId, current.values().next().value!);
      else if (current.size === 0) this.byRequest.delete(requestId);
    }
  }

  /** The request may have changed: its waiters look again, told so. */
  wake(requestId: string): void {
    this.held.delete(requestId);
    this.#wake(requestId, true);
  }

  /**
   * A store says the request changed. During this runtime's own write to it, the write wakes its
   * waiters itself once it has announced its events, so a woken guard never acts (and emits)
   * before the write that woke it has; a notice no such wake answered is delivered at {@link release}.
   */
  notice(requestId: string): void {
    if (this.writing.has(requestId)) this.held.add(requestId);
    else this.wake(requestId);
  }

  /** This runtime starts writing the request. */
  hold(requestId: string): void {
    this.writing.set(requestId, (this.writing.get(requestId) ?? 0) + 1);
  }

  /** The write has ended, saved or not: a notice it held and did not answer wakes the waiters now. */
  release(requestId: string): void {
    const count = this.writing.get(requestId) ?? 0;
    if (count > 1) return void this.writing.set(requestId, count - 1);
    this.writing.delete(requestId);
    if (this.held.has(requestId)) this.wake(requestId);
  }

  /** Every waiter looks again (closing, reconnecting): nothing is known to have changed. */
  wakeAll(): void {
    for (const id of [...this.byRequest.keys()]) this.#wake(id, false);
  }

  #wake(requestId: string, notified: boolean): void {
    const current = this.byRequest.get(requestId);
    if (current === undefined) return;
    if (current instanceof Set) for (const waiter of [...current]) waiter.wake(notified);
    else current.wake(notified);
  }

  get size(): number {
    return this.byRequest.size;
  }
}
