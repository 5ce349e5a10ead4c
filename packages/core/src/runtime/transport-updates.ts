// Transport updates: every transport that delivered a request hears of its new state.
import type { EventEmitter } from 'eventemitter3';
import type { Transport } from '../contracts/transport.js';
import type { ApprovalRequest } from '../model/approval.js';
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

async function tellAll(
  transports: ReadonlyMap<string, Transport>,
  events: EventEmitter<CountersignEventMap>,
  request: ApprovalRequest,
): Promise<void> {
  await Promise.all(
    request.deliveries.map(async (receipt) => {
      const transport = transports.get(receipt.transport);
      if (!transport?.update) return;
      try {
        await transport.update(request, receipt);
      } catch (error) {
        events.emit('transport_error', {
          transport: receipt.transport,
          requestId: request.id,
          operation: 'update',
          error,
        });
      }
    }),
  );
}
