// Reminders and escalations: a small card in the request's thread that @mentions who should decide.
import { type ApprovalRequest, type FollowUpNotice, presentRequest } from '@countersign/core';
import { ADAPTIVE_CARD_CONTENT_TYPE, type CardElement } from './card.js';
import { inertText } from './escape.js';

/** An Entra object id: the only text that goes inside `<at>` tags, so a mention can carry nothing else. */
const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Most people one follow-up mentions; the rest are counted. */
const MAX_NAMED = 20;

/**
 * The reply's activity. `teams:TENANT:OBJECTID` identities of this tenant are mentioned (Teams
 * notifies them); any other identity is listed as an inert TextRun and notifies nobody.
 */
export function followUpActivity(
  request: ApprovalRequest,
  notice: FollowUpNotice,
  tenantId: string,
): Record<string, unknown> {
  const p = presentRequest(request);
  const prefix = `teams:${tenantId}:`;
  const mentioned: string[] = [];
  const others: string[] = [];
  for (const identity of notice.to.slice(0, MAX_NAMED)) {
    const id = identity.startsWith(prefix) ? identity.slice(prefix.length) : '';
    if (OBJECT_ID.test(id)) mentioned.push(id);
    else others.push(identity);
  }
  const more = notice.to.length > MAX_NAMED ? ` and ${notice.to.length - MAX_NAMED} more` : '';
  const headline =
    notice.kind === 'reminder'
      ? 'Reminder: this request still waits for your decision.'
      : 'Escalated: you can now decide this request.';
  const subject = `${p.what.action}${p.what.resource === null ? '' : ` on ${p.what.resource}`} for ${p.who.actor} (${p.quorum.approvals} of ${p.quorum.required} approvals). Decide on the card above.`;
  const body: CardElement[] = [
    { type: 'TextBlock', text: headline, weight: 'Bolder', wrap: true },
    { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: inertText(subject, 600) }] },
  ];
  if (mentioned.length > 0) {
    body.push({ type: 'TextBlock', wrap: true, text: mentioned.map((id) => `<at>${id}</at>`).join(', ') });
  }
  if (others.length > 0 || more !== '') {
    body.push({
      type: 'RichTextBlock',
      inlines: [{ type: 'TextRun', text: inertText(`${others.join(', ')}${more}`, 1_000) }],
    });
  }
  const card = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    msteams: {
      entities: mentioned.map((id) => ({
        type: 'mention',
        text: `<at>${id}</at>`,
        mentioned: { id, name: id },
      })),
    },
  };
  return {
    type: 'message',
    summary: headline,
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card }],
  };
}
