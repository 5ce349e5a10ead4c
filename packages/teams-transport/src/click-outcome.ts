// What a click came to, and the invoke answer that tells the person who clicked.
import type { ApprovalRequest } from '@countersign/core';
import type { AdaptiveCard, CardViewer } from './card.js';
import { type InvokeErrorStatus, invokeCard, invokeError, invokeMessage } from './invoke-response.js';

/** What was done with a click: the invoke's answer, as a card for the clicker or a message. */
export type ClickOutcome =
  | { card: ApprovalRequest; viewer: CardViewer }
  | { message: string }
  | { error: InvokeErrorStatus; message: string };

/** The outcome as an invoke answer; `render` draws the request's card as `viewer` sees it. */
export function answerClick(
  outcome: ClickOutcome,
  render: (request: ApprovalRequest, viewer: CardViewer) => AdaptiveCard,
): Response {
  if ('card' in outcome) return invokeCard(render(outcome.card, outcome.viewer));
  if ('error' in outcome) return invokeError(outcome.error, outcome.message);
  return invokeMessage(outcome.message);
}
