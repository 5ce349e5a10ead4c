/**
 * Wakes guards waiting on a request when something about it may have changed. A wake is only a
 * hint: the waiter re-reads the request from the store.
 */
export class Waiters {
  private readonly byRequest = new Map<string, Set<() => void>>();

  add(requestId: string, wake: () => void): () => void {
    let set = this.byRequest.get(requestId);
    if (!set) {
      set = new Set();
      this.byRequest.set(requestId, set);
    }
    set.add(wake);
    return () => {
      const current = this.byRequest.get(requestId);
      if (!current) return;
      current.delete(wake);
      if (current.size === 0) this.byRequest.delete(requestId);
    };
  }

  wake(requestId: string): void {
    const set = this.byRequest.get(requestId);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  wakeAll(): void {
    for (const id of [...this.byRequest.keys()]) this.wake(id);
  }

  get size(): number {
    return this.byRequest.size;
  }
}
