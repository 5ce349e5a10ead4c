// The HTTP answers to an adaptiveCard/action invoke, in the shapes Universal Actions documents.
import { ADAPTIVE_CARD_CONTENT_TYPE, type AdaptiveCard } from './card.js';

/**
 * The `statusCode`s the Universal Action Model pairs with `application/vnd.microsoft.error`: 400
 * (the incoming request was invalid) and 500 (an unexpected error). Its table has no 403; 401 and
 * 412 belong to sign-in flows (loginRequest, incorrectAuthCode, preconditionFailed), not to refusals.
 * https://learn.microsoft.com/adaptive-cards/authoring-cards/universal-action-model#response-format
 */
export type InvokeErrorStatus = 400 | 500;

const ERROR_CODE: Record<InvokeErrorStatus, string> = { 400: 'BadRequest', 500: 'InternalServerError' };

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

/** The card that replaces the clicked one for the person who clicked. */
export function invokeCard(card: AdaptiveCard): Response {
  return json({ statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value: card });
}

/** A message Teams shows the person who clicked; the card stays as it was. */
export function invokeMessage(message: string): Response {
  return json({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: message });
}

/** An error Teams shows the person who clicked. */
export function invokeError(statusCode: InvokeErrorStatus, message: string): Response {
  return json({
    statusCode,
    type: 'application/vnd.microsoft.error',
    value: { code: ERROR_CODE[statusCode], message },
  });
}
