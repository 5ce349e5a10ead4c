// The HTTP answers to an adaptiveCard/action invoke, in the shapes Universal Actions documents.
import { ADAPTIVE_CARD_CONTENT_TYPE, type AdaptiveCard } from './card.js';

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
export function invokeError(statusCode: number, message: string): Response {
  const code = statusCode === 403 ? 'Forbidden' : 'BadRequest';
  return json({ statusCode, type: 'application/vnd.microsoft.error', value: { code, message } });
}
