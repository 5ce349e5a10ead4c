// Waiters: the guards waiting on each request, woken when it may have changed.
/** A waiting guard; `wake()` makes it re-read its request. */
export interface Waiter {
  wake(): void;
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

  wake(requestId: string): void {
    const current = this.byRequest.get(requestId);
    if (current === undefined) return;
    if (current instanceof Set) for (const waiter of [...current]) waiter.wake();
    else current.wake();
  }

  wakeAll(): void {
    for (const id of [...this.byRequest.keys()]) this.wake(id);
  }

  get size(): number {
    return this.byRequest.size;
  }
}
