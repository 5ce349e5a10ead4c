// The emulated workspace: its team, users, channels and tokens.
import { SlackEmulatorError } from './errors.js';

/** The workspace ("team") the emulated app is installed in. */
export interface EmulatedTeam {
  /** Team id, e.g. `T0EMULATOR`. */
  readonly id: string;
  /** Subdomain: the workspace lives at `https://{domain}.slack.com/`. */
  readonly domain: string;
  /** Display name returned by `auth.test` as `team`. */
  readonly name?: string | undefined;
}

/** The app's bot user and the ids Slack attaches to everything the bot posts. */
export interface EmulatedBot {
  /** The bot's user id (`auth.test` `user_id`, a message's `user`). */
  readonly userId: string;
  /** The bot id (`B...`) carried as `bot_id` on messages and by `auth.test`. */
  readonly botId: string;
  /** The app id (`A...`) carried as `api_app_id` in interaction payloads. */
  readonly appId: string;
  /** The bot user's handle (`auth.test` `user`). */
  readonly name: string;
}

/** A conversation the bot may post into. */
export interface EmulatedChannel {
  /** Channel id, e.g. `C0APPROVALS`. */
  readonly id: string;
  /** Channel name without `#`. */
  readonly name: string;
  /** Whether the bot user has joined; posting otherwise fails with `not_in_channel`. */
  readonly botIsMember: boolean;
  /** Human members. Defaults to every non-deleted user of the workspace. Used by `chat.postEphemeral`. */
  readonly memberIds?: readonly string[] | undefined;
  /** Archived channels reject posts with `is_archived`. Defaults to false. */
  readonly isArchived?: boolean | undefined;
}

/** A user of the workspace. */
export interface EmulatedUser {
  /** User id, e.g. `U0ALICE`. */
  readonly id: string;
  /** Handle (`name`, `username` in interaction payloads). */
  readonly name: string;
  /** Defaults to `name`. */
  readonly realName?: string | undefined;
  /** `profile.email`; `users.lookupByEmail` matches it case-insensitively. */
  readonly email?: string | undefined;
  /** Deactivated users are still returned by `users.info`, flagged `deleted: true`. Defaults to false. */
  readonly deleted?: boolean | undefined;
  /** Defaults to false. */
  readonly isBot?: boolean | undefined;
  /** Defaults to the workspace's team id; set another id to model a user from a shared channel's other org. */
  readonly teamId?: string | undefined;
}

/** Default team: `{ id: 'T0EMULATOR', domain: 'countersign-emulator', name: 'Countersign Emulator' }`. */
export const DEFAULT_TEAM: EmulatedTeam = {
  id: 'T0EMULATOR',
  domain: 'countersign-emulator',
  name: 'Countersign Emulator',
};

/** Default bot: user `U0EMULBOT` named `countersign`, bot `B0EMULBOT`, app `A0EMULAPP`. */
export const DEFAULT_BOT: EmulatedBot = {
  userId: 'U0EMULBOT',
  botId: 'B0EMULBOT',
  appId: 'A0EMULAPP',
  name: 'countersign',
};

/** Default valid bot token. */
export const DEFAULT_BOT_TOKEN = 'xoxb-emulator-0000-token';

/** Default signing secret used to sign interaction requests. */
export const DEFAULT_SIGNING_SECRET = 'emulator-signing-secret';

/** Default legacy verification token carried as `token` in interaction payloads. */
export const DEFAULT_VERIFICATION_TOKEN = 'emulator-verification-token';

/**
 * Default channels: `C0APPROVALS` (`#approvals`, bot is a member) and `C0GENERAL` (`#general`, bot is
 * not a member, so posting there fails with `not_in_channel`).
 */
export const DEFAULT_CHANNELS: readonly EmulatedChannel[] = [
  { id: 'C0APPROVALS', name: 'approvals', botIsMember: true },
  { id: 'C0GENERAL', name: 'general', botIsMember: false },
];

/**
 * Default users: `U0ALICE` (alice@example.com), `U0BOB` (bob@example.com), and `U0CAROL`
 * (carol@example.com, deactivated).
 */
export const DEFAULT_USERS: readonly EmulatedUser[] = [
  { id: 'U0ALICE', name: 'alice', realName: 'Alice Approver', email: 'alice@example.com' },
  { id: 'U0BOB', name: 'bob', realName: 'Bob Builder', email: 'bob@example.com' },
  { id: 'U0CAROL', name: 'carol', realName: 'Carol Former', email: 'carol@example.com', deleted: true },
];

/** A conversation as the emulator tracks it, including direct messages opened by posting to a user id. */
export interface ConversationState {
  readonly id: string;
  name: string;
  readonly isIm: boolean;
  /** For an IM, the human on the other side. */
  readonly imUserId?: string | undefined;
  botIsMember: boolean;
  isArchived: boolean;
  memberIds: readonly string[] | undefined;
}

/** The users, channels and tokens the emulator answers from. Mutable so tests can change it mid-run. */
export class Workspace {
  readonly team: EmulatedTeam;
  readonly bot: EmulatedBot;
  readonly #tokens = new Set<string>();
  readonly #revoked = new Set<string>();
  readonly #users = new Map<string, EmulatedUser>();
  readonly #conversations = new Map<string, ConversationState>();

  constructor(init: {
    team: EmulatedTeam;
    bot: EmulatedBot;
    tokens: readonly string[];
    channels: readonly EmulatedChannel[];
    users: readonly EmulatedUser[];
  }) {
    this.team = init.team;
    this.bot = init.bot;
    for (const token of init.tokens) this.#tokens.add(token);
    for (const user of init.users) this.addUser(user);
    for (const channel of init.channels) this.addChannel(channel);
  }

  /** `ok`, or the Slack error code for this token. */
  checkToken(token: string | undefined): 'ok' | 'not_authed' | 'invalid_auth' | 'token_revoked' {
    if (token === undefined || token === '') return 'not_authed';
    if (this.#revoked.has(token)) return 'token_revoked';
    return this.#tokens.has(token) ? 'ok' : 'invalid_auth';
  }

  revokeToken(token: string): void {
    this.#revoked.add(token);
  }

  addUser(user: EmulatedUser): void {
    if (this.#users.has(user.id) || user.id === this.bot.userId) {
      throw new SlackEmulatorError(`user ${user.id} already exists`);
    }
    this.#users.set(user.id, user);
  }

  updateUser(id: string, patch: Partial<Omit<EmulatedUser, 'id'>>): void {
    const existing = this.#users.get(id);
    if (existing === undefined) throw new SlackEmulatorError(`no user ${id} to update`);
    this.#users.set(id, { ...existing, ...patch, id });
  }

  addChannel(channel: EmulatedChannel): void {
    if (this.#conversations.has(channel.id)) {
      throw new SlackEmulatorError(`channel ${channel.id} already exists`);
    }
    this.#conversations.set(channel.id, {
      id: channel.id,
      name: channel.name,
      isIm: false,
      botIsMember: channel.botIsMember,
      isArchived: channel.isArchived ?? false,
      memberIds: channel.memberIds,
    });
  }

  updateChannel(id: string, patch: Partial<Omit<EmulatedChannel, 'id'>>): void {
    const existing = this.#conversations.get(id);
    if (existing === undefined || existing.isIm) throw new SlackEmulatorError(`no channel ${id} to update`);
    if (patch.name !== undefined) existing.name = patch.name;
    if (patch.botIsMember !== undefined) existing.botIsMember = patch.botIsMember;
    if (patch.isArchived !== undefined) existing.isArchived = patch.isArchived;
    if ('memberIds' in patch) existing.memberIds = patch.memberIds;
  }

  user(id: string): EmulatedUser | undefined {
    return this.#users.get(id);
  }

  /** Whether `id` is the app's own bot user, which `users.info` also knows. */
  isBotUser(id: string): boolean {
    return id === this.bot.userId;
  }

  userByEmail(email: string): EmulatedUser | undefined {
    const wanted = email.trim().toLowerCase();
    for (const user of this.#users.values()) {
      if (user.email?.toLowerCase() === wanted) return user;
    }
    return undefined;
  }

  conversation(id: string): ConversationState | undefined {
    return this.#conversations.get(id);
  }

  /**
   * Resolves a `channel` argument the way `chat.postMessage` does: a conversation id, a channel name
   * (with or without `#`), or a user id, which opens (or reuses) the bot's direct message with that user.
   */
  resolveConversation(ref: string): ConversationState | undefined {
    const byId = this.#conversations.get(ref);
    if (byId !== undefined) return byId;
    const name = ref.startsWith('#') ? ref.slice(1) : ref;
    for (const conversation of this.#conversations.values()) {
      if (!conversation.isIm && conversation.name === name) return conversation;
    }
    const user = this.#users.get(ref);
    if (user === undefined || user.deleted === true) return undefined;
    return this.#openIm(user.id);
  }

  /** Whether a human user can see a conversation (and so receive an ephemeral in it). */
  isMember(conversation: ConversationState, userId: string): boolean {
    const user = this.#users.get(userId);
    if (user === undefined || user.deleted === true) return false;
    if (conversation.isIm) return conversation.imUserId === userId;
    return conversation.memberIds === undefined ? true : conversation.memberIds.includes(userId);
  }

  #openIm(userId: string): ConversationState {
    const id = `D${userId.replace(/^[UW]/, '')}`;
    const existing = this.#conversations.get(id);
    if (existing !== undefined) return existing;
    const im: ConversationState = {
      id,
      name: 'directmessage',
      isIm: true,
      imUserId: userId,
      botIsMember: true,
      isArchived: false,
      memberIds: [userId],
    };
    this.#conversations.set(id, im);
    return im;
  }

  /** The `user` object `users.info` and `users.lookupByEmail` return. */
  userObject(user: EmulatedUser): Record<string, unknown> {
    const realName = user.realName ?? user.name;
    return {
      id: user.id,
      team_id: user.teamId ?? this.team.id,
      name: user.name,
      deleted: user.deleted ?? false,
      color: '9f69e7',
      real_name: realName,
      tz: 'Europe/London',
      tz_label: 'Greenwich Mean Time',
      tz_offset: 0,
      profile: {
        real_name: realName,
        real_name_normalized: realName,
        display_name: user.name,
        display_name_normalized: user.name,
        ...(user.email === undefined ? {} : { email: user.email }),
        team: user.teamId ?? this.team.id,
      },
      is_admin: false,
      is_owner: false,
      is_primary_owner: false,
      is_restricted: false,
      is_ultra_restricted: false,
      is_bot: user.isBot ?? false,
      is_app_user: false,
      updated: 1700000000,
    };
  }

  /** The bot's own `user` object. */
  botUserObject(): Record<string, unknown> {
    return {
      id: this.bot.userId,
      team_id: this.team.id,
      name: this.bot.name,
      deleted: false,
      real_name: this.bot.name,
      profile: {
        real_name: this.bot.name,
        display_name: '',
        bot_id: this.bot.botId,
        api_app_id: this.bot.appId,
        always_active: false,
        team: this.team.id,
      },
      is_admin: false,
      is_owner: false,
      is_bot: true,
      is_app_user: false,
      updated: 1700000000,
    };
  }
}
