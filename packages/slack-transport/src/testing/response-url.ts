// Response URLs: the limited-use URLs Slack hands an app with each interaction.
import { isRecord, normalizeBlocks, parseBlocksArgument, type SlackBlock } from './blocks.js';
import { SlackApiFailure } from './errors.js';
import type { SlackMessage } from './recording.js';
import type { WebApiContext } from './web-api.js';

/** Slack lets an app use a response URL up to 5 times within 30 minutes. */
export const RESPONSE_URL_MAX_USES = 5;
/** Lifetime of a response URL. */
export const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

/** The emulator's answer to a `response_url` POST. */
export interface ResponseUrlAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * Applies a POST to a response URL as Slack does: `delete_original` deletes the source message,
 * `replace_original` replaces its content, otherwise a new message is posted, visible to the clicking
 * user only (`response_type: 'ephemeral'`, the default) or to the channel (`'in_channel'`).
 */
export function handleResponseUrlPost(
  id: string,
  rawBody: string,
  context: WebApiContext,
): ResponseUrlAnswer {
  const { ledger } = context;
  const target = ledger.responseUrls.get(id);
  if (target === undefined) return failure(404, 'no_service');
  if (context.now() - target.issuedAt > RESPONSE_URL_TTL_MS) return failure(404, 'expired_url');
  if (target.uses >= RESPONSE_URL_MAX_USES) return failure(404, 'used_url');
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return failure(400, 'invalid_payload');
  }
  if (!isRecord(body)) return failure(400, 'invalid_payload');
  target.uses += 1;

  const source = target.isEphemeral
    ? ledger.ephemerals.find((e) => e.channel === target.channel && e.messageTs === target.messageTs)
    : ledger.message(target.channel, target.messageTs);
  const at = context.now();

  if (body.delete_original === true || body.delete_original === 'true') {
    if (source !== undefined && !source.deleted) {
      if ('history' in source) ledger.reviseMessage(source, null, 'response_url', at);
      else source.deleted = true;
    }
    return { status: 200, body: { ok: true } };
  }

  let blocks: SlackBlock[] | undefined;
  try {
    blocks =
      body.blocks === undefined
        ? undefined
        : normalizeBlocks(parseBlocksArgument(body.blocks), { surface: 'message', pointer: 'blocks' });
  } catch (error) {
    if (error instanceof SlackApiFailure) return failure(400, error.code);
    throw error;
  }
  const text = typeof body.text === 'string' ? body.text : undefined;
  if (text === undefined && (blocks === undefined || blocks.length === 0)) return failure(400, 'no_text');

  if (body.replace_original === true || body.replace_original === 'true') {
    if (source === undefined || source.deleted) return failure(404, 'message_not_found');
    const replaced = replaceContent('history' in source ? source.current : source.message, text, blocks);
    if ('history' in source) ledger.reviseMessage(source, replaced, 'response_url', at);
    else source.message = replaced;
    return { status: 200, body: { ok: true } };
  }

  const message = newBotMessage(context, text, blocks);
  if (body.response_type === 'in_channel') {
    ledger.addMessage(target.channel, message, 'response_url', at);
  } else {
    ledger.ephemerals.push({
      channel: target.channel,
      user: target.user,
      messageTs: message.ts,
      message,
      source: 'response_url',
      deleted: false,
    });
  }
  return { status: 200, body: { ok: true } };
}

function failure(status: number, error: string): ResponseUrlAnswer {
  return { status, body: { ok: false, error } };
}

function replaceContent(
  previous: SlackMessage,
  text: string | undefined,
  blocks: SlackBlock[] | undefined,
): SlackMessage {
  return { ...previous, text: text ?? '', blocks: blocks ?? [] };
}

function newBotMessage(
  context: WebApiContext,
  text: string | undefined,
  blocks: SlackBlock[] | undefined,
): SlackMessage {
  const { workspace } = context;
  return {
    type: 'message',
    ts: context.mint.messageTs(),
    text: text ?? '',
    user: workspace.bot.userId,
    team: workspace.team.id,
    bot_id: workspace.bot.botId,
    app_id: workspace.bot.appId,
    ...(blocks === undefined ? {} : { blocks }),
  };
}
