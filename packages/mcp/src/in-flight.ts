// What the proxy owes the client: the tool calls it guards and the requests it relayed, until each is answered.
import type { Id } from './json-rpc.js';

/** The server went away (or the proxy is stopping) before it answered a call sent to it. */
export class UpstreamGoneError extends Error {
  override readonly name = 'UpstreamGoneError';
}

export interface InterceptedCall {
  readonly id: Id;
  readonly controller: AbortController;
  /** Set once the call has been sent upstream: settles its run with the server's raw answer, or fails it. */
  sent: { answer(raw: Buffer | string | null): void; fail(error: Error): void } | null;
  /** The client has its answer, or must get none (it cancelled the call). */
  answered: boolean;
}

/** Keyed by the JSON text of the id, so `1` and `"1"` stay apart. */
export class InFlight {
  readonly calls = new Map<string, InterceptedCall>();
  /** Requests other than tool calls, relayed to the server and not answered yet. */
  readonly relayed = new Map<string, Id>();
  /** One entry per guarded call still running, so its outcome is recorded before the store closes. */
  readonly settling = new Set<Promise<void>>();

  /**
   * Answers every call and request still owed an answer with `answer`, at once; fails the runs of
   * calls sent upstream (so they are recorded `failed`, never `executed`) and stops the waits of
   * calls still waiting for approval. Returns how many were answered.
   */
  giveUp(why: string, answer: (id: Id, message: string) => void): number {
    let answered = 0;
    for (const call of this.calls.values()) {
      if (!call.answered && !call.controller.signal.aborted) {
        answer(call.id, why);
        answered++;
      }
      call.answered = true;
      if (call.sent !== null) call.sent.fail(new UpstreamGoneError(why));
      else call.controller.abort();
    }
    for (const id of this.relayed.values()) {
      answer(id, why);
      answered++;
    }
    this.relayed.clear();
    return answered;
  }

  /** Waits until every guarded call has recorded its outcome. */
  async settled(): Promise<void> {
    while (this.settling.size > 0) await Promise.allSettled([...this.settling]);
  }
}
