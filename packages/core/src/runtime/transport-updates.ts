// Transport updates: every transport that delivered a request hears of its new state.
import type { EventEmitter } from 'eventemitter3';
import type { Transport } from '../contracts/transport.js';
import type { ApprovalRequest, DeliveryReceipt } from '../model/approval.js';
import type { CountersignEventMap } from '../model/events.js';

/**
 * Tells every transport that delivered the request about its new state. Never rejects: a failure
 * is a `transport_error` event. Null, synchronously, when none has an update to make: most writes
 * then pay no promise for it.
 */
export function updateTransports(
  transports: ReadonlyMap<string, Transport>,
  events: EventEmitter<CountersignEventMap>,
  request: ApprovalRequest,
): Promise<void> | null {
  if (!hasUpdates(transports, request)) return null;
  return tellAll(transports, events, request);
}

function hasUpdates(transports: ReadonlyMap<string, Transport>, request: ApprovalRequest): boolean {
  for (const receipt of request.deliveries) if (transports.get(receipt.transport)?.update) return true;
  return false;
}

/**
 * Calls every update in delivery order, as one synchronous pass: a promise only for those still in
 * flight (no async frame or closure per receipt; the one transport of most requests adds no array).
 */
function tellAll(
  transports: ReadonlyMap<string, Transport>,
  events: EventEmitter<CountersignEventMap>,
  request: ApprovalRequest,
): Promise<void> | null {
  let first: Promise<void> | null = null;
  let more: Promise<void>[] | null = null;
  for (const receipt of request.deliveries) {
    const transport = transports.get(receipt.transport);
    if (!transport?.update) continue;
    let told: Promise<void>;
    try {
      told = Promise.resolve(transport.update(request, receipt));
    } catch (error) {
      failed(events, request, receipt, error);
      continue;
    }
    const settled = told.then(undefined, (error: unknown) => failed(events, request, receipt, error));
    if (first === null) first = settled;
    else if (more === null) more = [first, settled];
    else more.push(settled);
  }
  if (more !== null) return Promise.all(more).then(nothing);
  return first;
}

function failed(
  events: EventEmitter<CountersignEventMap>,
  request: ApprovalRequest,
  receipt: DeliveryReceipt,
  error: unknown,
): void {
  events.emit('transport_error', {
    transport: receipt.transport,
    requestId: request.id,
    operation: 'update',
    error,
  });
}

function nothing(): void {}
