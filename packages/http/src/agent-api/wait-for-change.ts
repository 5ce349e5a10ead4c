// One long-poll wait: until the call or its request changes, the time is up, or the client or server goes.
import type { Countersign } from '@countersign/core';
import type { CallRegistry } from './call-registry.js';
import type { RequestWatch } from './request-watch.js';

export interface ChangeWait {
  cs: Countersign;
  registry: CallRegistry;
  requests: RequestWatch;
  callId: string;
  requestId: string | null;
  /** The request's decision deadline falls in this wait: wait on it through core, which expires it then. */
  decisionDue: boolean;
  ms: number;
  signals: readonly AbortSignal[];
}

/** Resolves (never rejects) at the first change, the end of `ms`, or an abort. */
export function waitForChange(wait: ChangeWait): Promise<void> {
  return new Promise<void>((resolve) => {
    const stops: (() => void)[] = [];
    let done = false;
    const wake = () => {
      if (done) return;
      done = true;
      for (const stop of stops) stop();
      resolve();
    };
    // Wall-clock time: this bounds how long an HTTP request is held, whatever clock the policy uses.
    const timer = setTimeout(wake, wait.ms);
    stops.push(() => clearTimeout(timer));
    stops.push(wait.registry.watch(wait.callId, wake));
    if (wait.requestId !== null) stops.push(wait.requests.watch(wait.requestId, wake));
    for (const signal of wait.signals) {
      if (signal.aborted) return wake();
      signal.addEventListener('abort', wake, { once: true });
      stops.push(() => signal.removeEventListener('abort', wake));
    }
    if (wait.decisionDue && wait.requestId !== null) {
      const controller = new AbortController();
      stops.push(() => controller.abort());
      wait.cs.waitForDecision(wait.requestId, { signal: controller.signal }).then(wake, wake);
    }
  });
}
