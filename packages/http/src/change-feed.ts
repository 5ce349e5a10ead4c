// One stream of changed requests per app, fed by core's events and the store's cross-process notices.
import type { ApprovalRequest, AuditType, Countersign, Store } from '@countersign/core';

export interface ChangeFeed {
  /** Calls `listener` with each request after it changes; returns the unsubscribe function. */
  subscribe(listener: (request: ApprovalRequest) => void): () => void;
  close(): Promise<void>;
}

const REQUEST_STEPS: readonly AuditType[] = [
  'requested',
  'delivered',
  'decided',
  'approved',
  'denied',
  'expired',
  'cancelled',
  'executed',
  'failed',
];
/** Versions remembered per request id, so one change reaching us twice is sent once. */
const MEMORY_LIMIT = 10_000;

export function createChangeFeed(cs: Countersign, store: Store): ChangeFeed {
  const listeners = new Set<(request: ApprovalRequest) => void>();
  const lastVersion = new Map<string, number>();
  let stopStore: (() => Promise<void>) | null = null;
  let started = false;

  const emit = (request: ApprovalRequest | null) => {
    if (request === null) return;
    const seen = lastVersion.get(request.id);
    if (seen !== undefined && seen >= request.version) return;
    lastVersion.delete(request.id);
    lastVersion.set(request.id, request.version);
    if (lastVersion.size > MEMORY_LIMIT) {
      const oldest = lastVersion.keys().next().value;
      if (oldest !== undefined) lastVersion.delete(oldest);
    }
    for (const listener of listeners) listener(request);
  };
  const onEvent = (event: { request: ApprovalRequest | null }) => emit(event.request);

  function start() {
    started = true;
    for (const step of REQUEST_STEPS) cs.on(step, onEvent);
    // Other processes (agents over the same PostgreSQL store) change requests too.
    store
      .subscribe?.((id) => {
        cs.getRequest(id).then(emit, () => {});
      })
      .then(
        (stop) => {
          if (started) stopStore = stop;
          else void stop();
        },
        () => {},
      );
  }

  async function stop() {
    started = false;
    for (const step of REQUEST_STEPS) cs.off(step, onEvent);
    const stopping = stopStore;
    stopStore = null;
    await stopping?.().catch(() => {});
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!started) start();
      return () => {
        listeners.delete(listener);
      };
    },
    close: stop,
  };
}
