// The statement under a card that cut something: core's describeCut as a TextRun, and a link to the inbox.
import { describeCut, inboxRequestUrl, type PartCut, type RequestPresentation } from '@countersign/core';
import type { CardElement } from './card-element.js';
import { type Inert, inertText } from './escape.js';

/** Longest param name quoted in a statement. */
const NAME_BUDGET = 60;

/** `text`, named `name`, as {@link cutElements} lists it when `cut` left some of it out. */
export function fieldCut(name: string, text: string, cut: Inert): PartCut[] {
  if (cut.omitted === 0) return [];
  const total = Array.from(text).length;
  return [{ name, shown: total - cut.omitted, total }];
}

/**
 * What the card for `p` left out (its params as core fitted them, and `fields` cut here) and where
 * to see everything: with `publicUrl`, an `Action.OpenUrl` to the request's inbox page. Nothing
 * when nothing was cut. The statement is a TextRun, so no param name in it can format or link.
 */
export function cutElements(
  p: RequestPresentation,
  fields: readonly PartCut[],
  publicUrl: string | undefined,
): CardElement[] {
  const moreAt = publicUrl === undefined ? null : inboxRequestUrl(publicUrl, p.id);
  const statement = describeCut(
    { params: p.what.paramsCut, fields, moreAt },
    { name: (name) => `"${inertText(name, NAME_BUDGET)}"` },
  );
  if (statement === null) return [];
  const elements: CardElement[] = [
    {
      type: 'RichTextBlock',
      id: 'countersignCut',
      inlines: [{ type: 'TextRun', text: statement, weight: 'Bolder', color: 'Attention' }],
    },
  ];
  if (moreAt !== null) {
    elements.push({
      type: 'ActionSet',
      actions: [{ type: 'Action.OpenUrl', title: 'See everything in the inbox', url: moreAt }],
    });
  }
  return elements;
}
