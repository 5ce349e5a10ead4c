// Where a delivered card lives, and whether a click came from that card.
import type { ApprovalRequest, DeliveryReceipt } from '@countersign/core';
import type { CardAction } from './activity.js';
import { PREFIX } from './options.js';

/** Where a delivered card lives, from its receipt; a receipt without it cannot be acted on. */
export function postedActivity(
  request: ApprovalRequest,
  receipt: DeliveryReceipt,
): { serviceUrl: string; conversationId: string; activityId: string } {
  const { serviceUrl, conversationId, activityId } = receipt.ref;
  if (
    typeof serviceUrl !== 'string' ||
    typeof conversationId !== 'string' ||
    typeof activityId !== 'string'
  ) {
    throw new Error(
      `[countersign] ${PREFIX} receipt for ${request.id} has no serviceUrl, conversationId and activityId`,
    );
  }
  return { serviceUrl, conversationId, activityId };
}

/**
 * True only if the action came from the card the transport named `transportName` posted for the
 * request: the stored receipt (so any process can serve the click) or, before it is stored, this
 * process's post (`postedHere`). In a channel the click's conversation is the post's thread:
 * `{channel};messageid={activityId}`.
 */
export function isPostedCard(
  request: ApprovalRequest,
  action: CardAction,
  transportName: string,
  postedHere: Record<string, string> | undefined,
): boolean {
  const receipts = request.deliveries.filter((r) => r.transport === transportName).map((r) => r.ref);
  const refs = receipts.length > 0 ? receipts : [postedHere];
  return refs.some((ref) => {
    if (ref === undefined || action.replyToId === null || ref.activityId !== action.replyToId) return false;
    return (
      action.conversationId === ref.conversationId ||
      action.conversationId === `${ref.conversationId};messageid=${ref.activityId}`
    );
  });
}
