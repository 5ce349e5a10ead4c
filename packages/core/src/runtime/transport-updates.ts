// Transport updates: every transport that delivered a request hears of its new state.
import type { EventEmitter } from 'eventemitter3';
import type { Transport } from '../contracts/transport.js';
import type { ApprovalRequest } from '../model/approval.js';
import type { CountersignEventMap } from '../model/events.js';

/** Tells every transport that delivered the request about its new state. Never throws: a failure is a `transport_error` event. */
export async function updateTransports(
  transports: ReadonlyMap<string, Transport>,
  events: EventEmitter<CountersignEventMap>,
  request: ApprovalRequest,
): Promise<void> {
  if (!request.deliveries.some((receipt) => transports.get(receipt.transport)?.update)) return;
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
