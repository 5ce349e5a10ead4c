// A transport that records what it was given, for tests of guarded code.

import type { DecisionInput, DeliveryContext, Transport, TransportHost } from '../contracts/transport.js';
import type { ApprovalRequest, DeliveryReceipt } from '../model/approval.js';

export interface RecordingTransport extends Transport {
  /** Requests delivered, in order, one per request id. */
  readonly delivered: ApprovalRequest[];
  /** Every update received, in order. */
  readonly updates: { request: ApprovalRequest; receipt: DeliveryReceipt }[];
  /** The host core handed over at start; null before start. */
  readonly host: TransportHost | null;
  /** Resolves with the next delivered request (or the first not yet awaited). */
  nextDelivery(): Promise<ApprovalRequest>;
  /** Decides through the host, as a real transport would after a click. */
  decide(requestId: string, decision: DecisionInput): ReturnType<TransportHost['decide']>;
  /** Makes the next `deliver` calls reject with this error. */
  failDeliveries(error: Error | null): void;
  /** Makes `update` calls reject with this error. */
  failUpdates(error: Error | null): void;
}

/** A transport that records instead of sending: for tests of guards and of policies. */
export function createRecordingTransport(name = 'recording'): RecordingTransport {
  const delivered: ApprovalRequest[] = [];
  const updates: { request: ApprovalRequest; receipt: DeliveryReceipt }[] = [];
  const refs = new Map<string, Record<string, string>>();
  const waiting: ((request: ApprovalRequest) => void)[] = [];
  let awaited = 0;
  let host: TransportHost | null = null;
  let deliveryError: Error | null = null;
  let updateError: Error | null = null;
  return {
    name,
    delivered,
    updates,
    get host() {
      return host;
    },
    start(h: TransportHost) {
      host = h;
    },
    async deliver(request: ApprovalRequest, _context: DeliveryContext) {
      if (deliveryError) throw deliveryError;
      const existing = refs.get(request.id);
      if (existing) return existing;
      const ref = { message: String(delivered.length + 1) };
      refs.set(request.id, ref);
      delivered.push(request);
      waiting.shift()?.(request);
      return ref;
    },
    async update(request: ApprovalRequest, receipt: DeliveryReceipt) {
      if (updateError) throw updateError;
      updates.push({ request, receipt });
    },
    nextDelivery() {
      const ready = delivered[awaited];
      awaited += 1;
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => waiting.push(resolve));
    },
    decide(requestId, decision) {
      if (!host) throw new Error('[countersign] [recording] not started: pass it to createCountersign first');
      return host.decide(requestId, decision);
    },
    failDeliveries(error) {
      deliveryError = error;
    },
    failUpdates(error) {
      updateError = error;
    },
    async close() {},
  };
}
