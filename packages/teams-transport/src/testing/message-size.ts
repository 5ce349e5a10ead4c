// How big a bot's message may be before Teams refuses it.

/**
 * "The bot message size limit is 100 KB ... the entire message payload encoded as UTF-16" (413
 * `MessageSizeTooBig` beyond). The same limit is applied to a card returned in an invoke answer,
 * which replaces the message for the clicker. Earlier versions of the page said 40 KB; Teams chat
 * messages (and Workflows' "post card") are limited to about 28 KB.
 * https://learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 100 * 1024;

export const MESSAGE_LIMIT_NOTE = 'bytes Teams accepts in a bot message (maxMessageBytes)';

/** The size Teams counts: the payload as UTF-16. */
export function utf16Bytes(text: string): number {
  return text.length * 2;
}
