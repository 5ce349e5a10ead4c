// Faults the emulator injects on request: rate limits, error statuses, delays, and how they are answered.
import type { ServerResponse } from 'node:http';
import { sendJson } from './http.js';

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

/** The answer an injected fault replaces the real one with. */
export interface InjectedAnswer {
  status: number;
  code?: string | undefined;
  retryAfter?: number;
}

/**
 * Consumes the next fault for `route` and waits out its delay. Null when the call should be answered
 * normally: no fault, or a fault that only delays.
 */
export async function takeFault(
  plan: FaultPlan,
  route: Exclude<EmulatorRoute, '*'>,
): Promise<InjectedAnswer | null> {
  const fault = plan.take(route);
  if (fault === undefined) return null;
  if ('rateLimited' in fault)
    return { status: 429, code: 'TooManyRequests', retryAfter: fault.retryAfterSeconds };
  if (fault.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  return fault.status === undefined ? null : { status: fault.status, code: fault.code };
}

/** Writes an injected answer as a connector `ErrorResponse`, with `Retry-After` for rate limits. */
export function sendFault(res: ServerResponse, fault: InjectedAnswer): void {
  const headers: Record<string, string> =
    fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
  sendJson(
    res,
    fault.status,
    { error: { code: fault.code ?? `Http${fault.status}`, message: 'Injected by the emulator.' } },
    headers,
  );
}
