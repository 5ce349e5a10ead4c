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
      if (current.size === 0) this.byRequest.delete(requestId);
    }
  }

  /** The request may have changed: its waiters look again, told so. */
  wake(requestId: string): void {
    this.#wake(requestId, true);
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
