// The emulated Web API methods: chat, users, views, auth.
import { normalizeBlocks, parseBlocksArgument, parseModal, type SlackBlock } from './blocks.js';
import { SlackApiFailure } from './errors.js';
import type { IdMint } from './ids.js';
import type { Ledger, SlackMessage, ViewEntry } from './recording.js';
import type { ConversationState, Workspace } from './workspace.js';

/** How long a trigger id may be exchanged for a modal, per Slack's modal documentation. */
export const TRIGGER_TTL_MS = 3_000;

/** Slack truncates or rejects message text above 40,000 characters (`msg_too_long`). */
const MAX_TEXT_LENGTH = 40_000;

/** What a Web API method handler may read and change. */
export interface WebApiContext {
  readonly workspace: Workspace;
  readonly ledger: Ledger;
  readonly mint: IdMint;
  readonly now: () => number;
}

/** Decoded request arguments: strings from form bodies, any JSON from JSON bodies. */
export type WebApiArgs = Readonly<Record<string, unknown>>;

/** One emulated Web API method. */
export interface WebApiMethod {
  /** Slack documents some methods as form-only; their JSON bodies are not read (arguments appear missing). */
  readonly acceptsJson: boolean;
  /** Scopes sent back in `X-Accepted-OAuth-Scopes`. */
  readonly acceptedScopes: readonly string[];
  /** Returns the success body without `ok`, or throws {@link SlackApiFailure}. */
  readonly handle: (args: WebApiArgs, context: WebApiContext) => Record<string, unknown>;
}

function stringArg(args: WebApiArgs, name: string): string | undefined {
  const value = args[name];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function missingArgument(name: string): SlackApiFailure {
  return new SlackApiFailure('invalid_arguments', {
    response_metadata: { messages: [`[ERROR] missing required field: ${name}`] },
  });
}

function parseAttachments(value: unknown): unknown[] | undefined {
  if (value === undefined) return undefined;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new SlackApiFailure('invalid_attachments');
    }
  }
  if (!Array.isArray(parsed)) throw new SlackApiFailure('invalid_attachments');
  return parsed;
}

interface MessageContent {
  readonly text: string | undefined;
  readonly blocks: SlackBlock[] | undefined;
  readonly attachments: unknown[] | undefined;
}

function readContent(args: WebApiArgs): MessageContent {
  const text = stringArg(args, 'text');
  const blocks =
    args.blocks === undefined
      ? undefined
      : normalizeBlocks(parseBlocksArgument(args.blocks), { surface: 'message', pointer: 'blocks' });
  const attachments = parseAttachments(args.attachments);
  if (
    text === undefined &&
    (blocks === undefined || blocks.length === 0) &&
    (attachments?.length ?? 0) === 0
  ) {
    throw new SlackApiFailure('no_text');
  }
  if (text !== undefined && text.length > MAX_TEXT_LENGTH) throw new SlackApiFailure('msg_too_long');
  return { text, blocks, attachments };
}

function postableConversation(args: WebApiArgs, context: WebApiContext): ConversationState {
  const ref = stringArg(args, 'channel');
  const conversation = ref === undefined ? undefined : context.workspace.resolveConversation(ref);
  if (conversation === undefined) throw new SlackApiFailure('channel_not_found');
  if (conversation.isArchived) throw new SlackApiFailure('is_archived');
  if (!conversation.botIsMember) throw new SlackApiFailure('not_in_channel');
  return conversation;
}

function botMessage(
  context: WebApiContext,
  ts: string,
  content: MessageContent,
  args: WebApiArgs,
): SlackMessage {
  const { workspace } = context;
  const threadTs = stringArg(args, 'thread_ts');
  return {
    user: workspace.bot.userId,
    type: 'message',
    ts,
    bot_id: workspace.bot.botId,
    app_id: workspace.bot.appId,
    text: content.text ?? '',
    team: workspace.team.id,
    bot_profile: {
      id: workspace.bot.botId,
      app_id: workspace.bot.appId,
      name: workspace.bot.name,
      team_id: workspace.team.id,
      deleted: false,
    },
    ...(content.blocks === undefined ? {} : { blocks: content.blocks }),
    ...(content.attachments === undefined ? {} : { attachments: content.attachments }),
    ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
    ...(args.metadata === undefined ? {} : { metadata: args.metadata }),
  };
}

/** Renders a stored modal the way `views.open` returns it and `view_submission` carries it. */
export function renderView(entry: ViewEntry, workspace: Workspace): Record<string, unknown> {
  const { view } = entry;
  return {
    id: entry.id,
    team_id: workspace.team.id,
    type: view.type,
    blocks: view.blocks,
    private_metadata: view.private_metadata,
    callback_id: view.callback_id,
    state: { values: {} },
    hash: entry.hash,
    title: view.title,
    clear_on_close: view.clear_on_close,
    notify_on_close: view.notify_on_close,
    close: view.close,
    submit: view.submit,
    previous_view_id: null,
    root_view_id: entry.id,
    app_id: workspace.bot.appId,
    external_id: view.external_id,
    app_installed_team_id: workspace.team.id,
    bot_id: workspace.bot.botId,
  };
}

/** A view hash as Slack formats it: seconds, a dot, an opaque suffix. */
export function viewHash(context: Pick<WebApiContext, 'mint' | 'now'>): string {
  return `${Math.floor(context.now() / 1000)}.${context.mint.opaque().slice(0, 8)}`;
}

const authTest: WebApiMethod = {
  acceptsJson: true,
  acceptedScopes: [],
  handle: (_args, { workspace }) => ({
    url: `https://${workspace.team.domain}.slack.com/`,
    team: workspace.team.name ?? workspace.team.domain,
    user: workspace.bot.name,
    team_id: workspace.team.id,
    user_id: workspace.bot.userId,
    bot_id: workspace.bot.botId,
    is_enterprise_install: false,
  }),
};

const chatPostMessage: WebApiMethod = {
  acceptsJson: true,
  acceptedScopes: ['chat:write'],
  handle: (args, context) => {
    const conversation = postableConversation(args, context);
    const content = readContent(args);
    const message = botMessage(context, context.mint.messageTs(), content, args);
    context.ledger.addMessage(conversation.id, message, 'chat.postMessage', context.now());
    return { channel: conversation.id, ts: message.ts, message };
  },
};

const chatUpdate: WebApiMethod = {
  acceptsJson: true,
  acceptedScopes: ['chat:write'],
  handle: (args, context) => {
    const channel = stringArg(args, 'channel');
    const conversation = channel === undefined ? undefined : context.workspace.conversation(channel);
    if (conversation === undefined) throw new SlackApiFailure('channel_not_found');
    const ts = stringArg(args, 'ts');
    const entry = ts === undefined ? undefined : context.ledger.message(conversation.id, ts);
    if (entry === undefined || entry.deleted) throw new SlackApiFailure('message_not_found');
    if (entry.current.user !== context.workspace.bot.userId) throw new SlackApiFailure('cant_update_message');
    const content = readContent(args);
    const previous = entry.current;
    const updated: SlackMessage = {
      ...previous,
      text: content.text ?? '',
      blocks: content.blocks ?? previous.blocks,
      attachments: content.attachments ?? previous.attachments,
      edited: { user: context.workspace.bot.userId, ts: context.mint.messageTs() },
    };
    context.ledger.reviseMessage(entry, updated, 'chat.update', context.now());
    return { channel: conversation.id, ts: entry.ts, text: updated.text, message: updated };
  },
};

const chatPostEphemeral: WebApiMethod = {
  acceptsJson: true,
  acceptedScopes: ['chat:write'],
  handle: (args, context) => {
    const conversation = postableConversation(args, context);
    const user = stringArg(args, 'user');
    if (user === undefined) throw missingArgument('user');
    if (!context.workspace.isMember(conversation, user)) throw new SlackApiFailure('user_not_in_channel');
    const content = readContent(args);
    const message = botMessage(context, context.mint.messageTs(), content, args);
    context.ledger.ephemerals.push({
      channel: conversation.id,
      user,
      messageTs: message.ts,
      message,
      source: 'chat.postEphemeral',
      deleted: false,
    });
    return { message_ts: message.ts };
  },
};

const usersInfo: WebApiMethod = {
  acceptsJson: false,
  acceptedScopes: ['users:read'],
  handle: (args, { workspace }) => {
    const id = stringArg(args, 'user');
    if (id !== undefined && workspace.isBotUser(id)) return { user: workspace.botUserObject() };
    const user = id === undefined ? undefined : workspace.user(id);
    if (user === undefined) throw new SlackApiFailure('user_not_found');
    return { user: workspace.userObject(user) };
  },
};

const usersLookupByEmail: WebApiMethod = {
  acceptsJson: false,
  acceptedScopes: ['users:read.email'],
  handle: (args, { workspace }) => {
    const email = stringArg(args, 'email');
    if (email === undefined) throw missingArgument('email');
    const user = workspace.userByEmail(email);
    if (user === undefined) throw new SlackApiFailure('users_not_found');
    return { user: workspace.userObject(user) };
  },
};

const viewsOpen: WebApiMethod = {
  acceptsJson: true,
  acceptedScopes: [],
  handle: (args, context) => {
    const { ledger } = context;
    const triggerId = stringArg(args, 'trigger_id') ?? stringArg(args, 'interactivity_pointer');
    if (triggerId === undefined) throw missingArgument('trigger_id');
    const trigger = ledger.triggers.get(triggerId);
    if (trigger === undefined) throw new SlackApiFailure('invalid_trigger_id');
    if (trigger.exchanged) throw new SlackApiFailure('exchanged_trigger_id');
    if (context.now() - trigger.issuedAt > TRIGGER_TTL_MS) throw new SlackApiFailure('expired_trigger_id');
    if (args.view === undefined || args.view === '') throw missingArgument('view');
    const view = parseModal(args.view);
    if (view.external_id !== '') {
      for (const existing of ledger.views.values()) {
        if (existing.view.external_id === view.external_id) {
          throw new SlackApiFailure('duplicate_external_id');
        }
      }
    }
    trigger.exchanged = true;
    const entry: ViewEntry = {
      id: context.mint.viewId(),
      user: trigger.user,
      triggerId,
      view,
      status: 'open',
      hash: viewHash(context),
      openedAt: context.now(),
      submissions: [],
    };
    ledger.views.set(entry.id, entry);
    return { view: renderView(entry, context.workspace) };
  },
};

/** The emulated Web API, by method name. Any other method answers `unknown_method`. */
export const WEB_API_METHODS: Readonly<Record<string, WebApiMethod>> = {
  'auth.test': authTest,
  'chat.postMessage': chatPostMessage,
  'chat.update': chatUpdate,
  'chat.postEphemeral': chatPostEphemeral,
  'users.info': usersInfo,
  'users.lookupByEmail': usersLookupByEmail,
  'views.open': viewsOpen,
};
