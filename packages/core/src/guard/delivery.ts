// Delivery: handing a request to every transport, saving receipts, failing closed when none can.

import type { DeliveryContext } from '../contracts/transport.js';
import { DeliveryError } from '../lib/errors.js';
import { errorText } from '../lib/redact.js';
import type { ApprovalRequest, DeliveryReceipt } from '../model/approval.js';
import { noticeNoTransports } from '../runtime/notices.js';
import type { Runtime } from '../runtime/runtime.js';

/**
 * Why a delivery signal aborts: the wait for this request is over. One frozen reason, because
 * `abort()` without one builds a DOMException and its stack trace on every request.
 */
export const DELIVERY_OVER = Object.freeze(new Error('the request no longer needs delivering'));
/** Why a delivery still in flight was given up; one frozen error, as it ends every delivery race. */
const DELIVERY_GIVEN_UP = Object.freeze(
  new Error('delivery did not finish before the request expired or was cancelled'),
);

/** Lost compare-and-set races are retried; each loss means another writer made progress. */
const MAX_WRITE_ATTEMPTS = 50;

/** What delivery needs of the wait it serves: its signal for transports, and a way to give up. */
export interface DeliveryControl {
  /** Set by delivery while it is in flight; calling it ends delivery at once. */
  giveUpDelivery: (() => void) | null;
  /** Receipt writes of this delivery under way: the wakes they cause are the wait's own. */
  receiptWrites: number;
  /** True once the request no longer needs delivering. */
  readonly deliveryOver: boolean;
  /** Aborted once the request no longer needs delivering, however late a transport reads it. */
  readonly deliverySignal: AbortSignal;
}

export async function deliver(
  runtime: Runtime,
  request: ApprovalRequest,
  wait: DeliveryControl,
): Promise<void> {
  const transports = [...runtime.options.transports.values()];
  if (transports.length === 0) {
    noticeNoTransports(runtime);
    return;
  }
  const pending = transports.filter(
    (t) => !request.deliveries.some((receipt) => receipt.transport === t.name),
  );
  // A transport that never answers must not hold the guard past the request's deadline.
  const { clock } = runtime.options;
  let giveUp: () => void = () => {};
  const deadline = new Promise<never>((_, reject) => {
    giveUp = () => reject(DELIVERY_GIVEN_UP);
  });
  deadline.catch(() => {});
  const timer = clock.setTimeout(giveUp, Math.max(0, request.expiresAt - runtime.now()));
  wait.giveUpDelivery = giveUp;
  if (wait.deliveryOver) giveUp();
  const context: DeliveryContext = {
    get signal() {
      return wait.deliverySignal;
    },
  };
  const failures = (
    await Promise.all(
      pending.map(async (transport) => {
        try {
          const ref = (await Promise.race([transport.deliver(request, context), deadline])) ?? {};
          // Saved as soon as this transport answers, so a click served by another process finds it.
          await saveReceipt(runtime, request, { transport: transport.name, ref, at: runtime.now() }, wait);
          return [];
        } catch (error) {
          return [{ transport: transport.name, error }];
        }
      }),
    ).finally(() => {
      clock.clearTimeout(timer);
      wait.giveUpDelivery = null;
      // Settle the race's loser so no promise outlives the delivery.
      giveUp();
    })
  ).flat();
  if (failures.length === 0) return;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const current = await runtime.load(request.id);
    if (current === null) return;
    const drafts = failures.map((f) =>
      runtime.draft('delivery_failed', current, { via: f.transport, detail: errorText(f.error) }),
    );
    // An abort is the caller's cancellation, which the wait loop records; not a delivery failure.
    if (current.deliveries.length === 0 && current.status === 'pending' && !wait.deliveryOver) {
      const cancelled = await runtime.update(
        current,
        { status: 'cancelled', closedReason: 'delivery failed' },
        [
          ...drafts,
          runtime.draft('cancelled', current, { detail: 'no transport could deliver the request' }),
        ],
      );
      if (cancelled === null) continue;
      throw new DeliveryError(request.id, failures);
    }
    if ((await runtime.update(current, {}, drafts)) !== null) return;
  }
}

/**
 * Adds a receipt to the request. The first attempt writes over `known`, the version delivery
 * started from, without a read: a compare-and-set, so if it is no longer current the write is
 * refused and the request is read and written again.
 */
async function saveReceipt(
  runtime: Runtime,
  known: ApprovalRequest,
  receipt: DeliveryReceipt,
  wait: DeliveryControl,
): Promise<void> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const current = attempt === 0 ? known : await runtime.load(known.id);
    if (current === null) return;
    const draft = runtime.draft('delivered', current, { via: receipt.transport });
    wait.receiptWrites += 1;
    try {
      const saved = await runtime.update(current, { deliveries: [...current.deliveries, receipt] }, [draft]);
      if (saved !== null) return;
    } finally {
      wait.receiptWrites -= 1;
    }
  }
}
