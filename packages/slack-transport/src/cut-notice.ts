// The statement under a message that cut something: core's describeCut in mrkdwn, linked to the inbox.
import { describeCut, inboxRequestUrl, type PartCut, type RequestPresentation } from '@countersign/core';
import { code } from './escape.js';

/** Longest param name quoted in a statement. */
const NAME_BUDGET = 60;

/**
 * The URL as a bare Slack link: its control characters as entities and `|` percent-encoded, so
 * nothing in it can end the link or add a label.
 */
function slackLink(url: string): string {
  const target = url.replace(/\|/g, '%7C').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<${target}>`;
}

/**
 * What the message for `p` left out (its params as core fitted them, and `fields` cut here) and
 * where to see everything: the request's inbox page when `publicUrl` is set. Null when nothing was cut.
 */
export function cutNotice(
  p: RequestPresentation,
  fields: readonly PartCut[],
  publicUrl: string | undefined,
): string | null {
  const statement = describeCut(
    {
      params: p.what.paramsCut,
      fields,
      moreAt: publicUrl === undefined ? null : inboxRequestUrl(publicUrl, p.id),
    },
    { name: (name) => code(name, NAME_BUDGET), link: slackLink },
  );
  return statement === null ? null : `:scissors: ${statement}`;
}

/** `text`, named `name`, as {@link cutNotice} lists it when `omitted` of its code points were cut. */
export function fieldCut(name: string, text: string, omitted: number): PartCut[] {
  if (omitted === 0) return [];
  const total = Array.from(text).length;
  return [{ name, shown: total - omitted, total }];
}
