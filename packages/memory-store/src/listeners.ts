// Change notifications in memory: every subscriber is told the id of each request a write changed.
export class RequestListeners {
  readonly #listeners = new Set<(requestId: string) => void>();

  add(listener: (requestId: string) => void): void {
    this.#listeners.add(listener);
  }

  delete(listener: (requestId: string) => void): void {
    this.#listeners.delete(listener);
  }

  clear(): void {
    this.#listeners.clear();
  }

  notify(requestId: string): void {
    for (const listener of this.#listeners) listener(requestId);
  }
}
