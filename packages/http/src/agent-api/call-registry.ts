// The calls this server holds in memory: each call's exact action (requests keep only a redacted copy), allowed
// calls (which have no request), and claimed calls waiting for their outcome.
import { randomBytes } from 'node:crypto';
import type { JsonObject, Risk } from '@countersign/core';

/** The exact action a call was opened with: what its claim runs `guard()` with. */
export interface CallAction {
  name: string;
  resource: string | null;
  params: JsonObject;
  risk: Risk | undefined;
}

/** What only this process knows about a call, beside its request in the store. */
export type CallPhase = 'open' | 'denied' | 'claiming' | 'running' | 'executed' | 'failed';

/** The outcome an agent reports. */
export interface ReportedOutcome {
  status: 'executed' | 'failed';
  detail: string | null;
}

export interface HeldCall {
  readonly callId: string;
  readonly actor: string;
  readonly sessionId: string;
  readonly reason: string;
  readonly onBehalfOf: string | null;
  readonly idempotencyKey: string | null;
  action: CallAction;
  /** Null for calls the policy allowed or denied outright. */
  readonly requestId: string | null;
  phase: CallPhase;
  /** For calls without a request: the denial's code and message; null otherwise. */
  denial: { code: string; message: string } | null;
  /** Allowed calls: the claim deadline. Running calls: the grant's expiry. */
  expiresAt: number | null;
  /** Set while running: ends the held run with the agent's outcome. */
  settle: ((outcome: ReportedOutcome) => void) | null;
  /** Set once claimed: settles when the outcome is recorded (null) or could not be (the error). */
  finished: Promise<unknown> | null;
  touchedAt: number;
}

export interface CallRegistryOptions {
  /** Calls held at most; the oldest settled or unclaimed ones go first. Running calls are never dropped. */
  maxCalls: number;
  /** Calls one actor may hold that are not requests (allowed, not yet claimed): an agent cannot fill memory. */
  maxOpenPerActor: number;
}

export class TooManyCallsError extends Error {
  constructor(
    readonly actor: string,
    readonly limit: number,
  ) {
    super(
      `${actor} already holds ${limit} unclaimed allowed calls; claim or let them lapse before opening more`,
    );
    this.name = 'TooManyCallsError';
  }
}

/** Calls by id, with one change signal per call for long polls. */
export class CallRegistry {
  readonly #calls = new Map<string, HeldCall>();
  readonly #byKey = new Map<string, string>();
  readonly #openPerActor = new Map<string, number>();
  readonly #watchers = new Map<string, Set<() => void>>();
  readonly #options: CallRegistryOptions;

  constructor(options: CallRegistryOptions) {
    this.#options = options;
  }

  static newCallId(): string {
    return `call_${randomBytes(16).toString('base64url')}`;
  }

  get(callId: string): HeldCall | undefined {
    return this.#calls.get(callId);
  }

  /** The allowed call an earlier open with the same actor, session and idempotency key made. */
  byKey(actor: string, sessionId: string, key: string): HeldCall | undefined {
    const id = this.#byKey.get(scoped(actor, sessionId, key));
    return id === undefined ? undefined : this.#calls.get(id);
  }

  /** Adds or replaces `call` (a re-opened request keeps its id). Throws `TooManyCallsError`. */
  put(call: HeldCall): void {
    const previous = this.#calls.get(call.callId);
    if (previous !== undefined) this.#forget(previous);
    if (call.requestId === null && call.phase === 'open') {
      const open = this.#openPerActor.get(call.actor) ?? 0;
      if (open >= this.#options.maxOpenPerActor) {
        throw new TooManyCallsError(call.actor, this.#options.maxOpenPerActor);
      }
      this.#openPerActor.set(call.actor, open + 1);
    }
    this.#calls.set(call.callId, call);
    if (call.idempotencyKey !== null && call.requestId === null) {
      this.#byKey.set(scoped(call.actor, call.sessionId, call.idempotencyKey), call.callId);
    }
    this.#evict();
  }

  /** Moves `call` to `phase` and wakes its watchers. */
  update(call: HeldCall, phase: CallPhase, now: number): void {
    if (call.requestId === null && call.phase === 'open' && phase !== 'open') this.#releaseOpen(call.actor);
    if (call.requestId === null && call.phase !== 'open' && phase === 'open') {
      this.#openPerActor.set(call.actor, (this.#openPerActor.get(call.actor) ?? 0) + 1);
    }
    call.phase = phase;
    call.touchedAt = now;
    // Most recently touched last, so eviction takes the oldest first.
    this.#calls.delete(call.callId);
    this.#calls.set(call.callId, call);
    this.changed(call.callId);
  }

  /** Wakes whoever waits on `callId`. */
  changed(callId: string): void {
    const watchers = this.#watchers.get(callId);
    if (watchers !== undefined) for (const wake of [...watchers]) wake();
  }

  /** Calls `wake` on every change of `callId` until the returned function is called. */
  watch(callId: string, wake: () => void): () => void {
    let watchers = this.#watchers.get(callId);
    if (watchers === undefined) {
      watchers = new Set();
      this.#watchers.set(callId, watchers);
    }
    watchers.add(wake);
    return () => {
      watchers.delete(wake);
      if (watchers.size === 0) this.#watchers.delete(callId);
    };
  }

  /** Calls still running, e.g. to end them when the server stops. */
  running(): HeldCall[] {
    return [...this.#calls.values()].filter((call) => call.phase === 'running');
  }

  /** Allowed calls whose claim deadline passed are dropped, freeing their actor's allowance. */
  lapse(now: number): void {
    for (const call of [...this.#calls.values()]) {
      if (
        call.requestId === null &&
        call.phase === 'open' &&
        call.expiresAt !== null &&
        call.expiresAt <= now
      ) {
        this.#calls.delete(call.callId);
        this.#forget(call);
        this.changed(call.callId);
      }
    }
  }

  #evict(): void {
    if (this.#calls.size <= this.#options.maxCalls) return;
    for (const call of this.#calls.values()) {
      if (this.#calls.size <= this.#options.maxCalls) return;
      if (call.phase === 'running' || call.phase === 'claiming') continue;
      this.#calls.delete(call.callId);
      this.#forget(call);
    }
  }

  #forget(call: HeldCall): void {
    if (call.requestId === null && call.phase === 'open') this.#releaseOpen(call.actor);
    if (call.idempotencyKey !== null) {
      const key = scoped(call.actor, call.sessionId, call.idempotencyKey);
      if (this.#byKey.get(key) === call.callId) this.#byKey.delete(key);
    }
  }

  #releaseOpen(actor: string): void {
    const open = (this.#openPerActor.get(actor) ?? 1) - 1;
    if (open <= 0) this.#openPerActor.delete(actor);
    else this.#openPerActor.set(actor, open);
  }
}

function scoped(actor: string, sessionId: string, key: string): string {
  return JSON.stringify([actor, sessionId, key]);
}
