// Faults the emulator injects on request: rate limits, error statuses, delays.

/** Which endpoint a fault applies to. */
export type EmulatorRoute = 'token' | 'post' | 'update' | '*';

export interface EmulatorFault {
  /** HTTP status to answer with instead of the real answer. Omit to only delay. */
  status?: number | undefined;
  /** The connector error code in the `ErrorResponse` body. */
  code?: string | undefined;
  /** Wait this long before answering. */
  delayMs?: number | undefined;
}

export interface RateLimitOptions {
  times: number;
  retryAfterSeconds: number;
}

export type PlannedFault = EmulatorFault | { rateLimited: true; retryAfterSeconds: number };

export class FaultPlan {
  #queue: { route: EmulatorRoute; fault: PlannedFault }[] = [];

  rateLimit(route: EmulatorRoute, options: RateLimitOptions): void {
    for (let i = 0; i < options.times; i++) {
      this.#queue.push({ route, fault: { rateLimited: true, retryAfterSeconds: options.retryAfterSeconds } });
    }
  }

  failNext(route: EmulatorRoute, fault: EmulatorFault): void {
    this.#queue.push({ route, fault });
  }

  clear(): void {
    this.#queue = [];
  }

  /** The next fault for `route`, consumed. */
  take(route: Exclude<EmulatorRoute, '*'>): PlannedFault | undefined {
    const index = this.#queue.findIndex((f) => f.route === route || f.route === '*');
    if (index === -1) return undefined;
    return this.#queue.splice(index, 1)[0]?.fault;
  }
}
