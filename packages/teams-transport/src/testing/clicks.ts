// Card clicks: the signed adaptiveCard/action invoke (or old-client submit) a user's click sends the bot.
import { randomBytes } from 'node:crypto';
import type { ConnectorActivities } from './activities.js';
import { TeamsEmulatorError } from './errors.js';
import { CARD_TYPE, type InvokeAnswer, isRecord, readInvokeAnswer } from './invoke-answer.js';
import { type KeyRing, signConnectorToken } from './key-ring.js';
import type { KeyChoice } from './keys.js';
import type { EmulatedTeamsUser } from './tenant.js';

export interface ClickOptions {
  /** The clicking user's Entra object id (must be one of the emulator's users). */
  user: string;
  /** The id of the posted activity holding the card. */
  activityId: string;
  /** The `verb` of the card's Action.Execute to click. */
  verb: string;
  /** Values typed into the card's inputs, by input id. */
  inputs?: Readonly<Record<string, string>> | undefined;
  /** `submit` sends the Action.Submit fallback as an old client does. Default `execute`. */
  kind?: 'execute' | 'submit' | undefined;
  /** `automatic` is a refresh (sent by the client, not a click). Default `manual`. */
  trigger?: 'manual' | 'automatic' | undefined;
  /** Forgeries and faults, for tests. */
  forge?: ClickForgery | undefined;
  /**
   * Default true: an answer Teams would refuse (a statusCode and type not in the Universal Action
   * Model's table, a value of the wrong shape, a body over `maxMessageBytes`) rejects the click with
   * a `TeamsEmulatorError` naming the problems. `false` returns it, with `problems`, and `card` and
   * `message` null: the clicker sees nothing of it.
   */
  strict?: boolean | undefined;
}

export interface ClickForgery {
  /** Replaces the action's data (e.g. to name another request). */
  data?: Record<string, unknown> | undefined;
  /** Extra or replaced claims in the token. */
  claims?: Record<string, unknown> | undefined;
  /** Extra or replaced JWT header fields. */
  header?: Record<string, unknown> | undefined;
  /** Which key signs. Default `endorsed`. */
  key?: KeyChoice | undefined;
  /** The whole Authorization header, or null for none. */
  authorization?: string | null | undefined;
  /** Edits the activity after it is built and after the token is signed. */
  activity?: ((activity: Record<string, unknown>) => void) | undefined;
  /** Raw body to send instead of the activity JSON. */
  rawBody?: string | undefined;
}

export interface ClickResult extends InvokeAnswer {
  status: number;
  /** The response body as text. */
  body: string;
  /** What was sent, to replay it. */
  request: { headers: Record<string, string>; body: string };
}

/** The emulator as a click sees it; `botEndpoint` and `serviceUrl` are read when used. */
export interface ClickContext {
  readonly botEndpoint: string | undefined;
  readonly serviceUrl: string;
  readonly appId: string;
  readonly tenantId: string;
  readonly users: readonly EmulatedTeamsUser[];
  readonly now: () => number;
  readonly maxMessageBytes: number;
  readonly activities: ConnectorActivities;
  readonly keys: KeyRing;
}

/** Clicks a card action as `options.user`: sends the signed invoke to the bot and checks its answer. */
export async function clickCard(ctx: ClickContext, options: ClickOptions): Promise<ClickResult> {
  if (ctx.botEndpoint === undefined)
    throw new TeamsEmulatorError('no bot endpoint: call setBotEndpoint(url) first');
  const user = ctx.users.find((u) => u.aadObjectId === options.user);
  if (user === undefined) throw new TeamsEmulatorError(`no user ${options.user}`);
  const posted = ctx.activities.entry(options.activityId);
  if (posted === undefined) throw new TeamsEmulatorError(`no activity ${options.activityId}`);
  const card = cardOf(posted.history.at(-1)!);
  const trigger = options.trigger ?? 'manual';
  const button = trigger === 'automatic' ? refreshAction(card) : findExecute(card, options.verb);
  if (button === null && options.forge?.data === undefined) {
    throw new TeamsEmulatorError(`the card of ${options.activityId} has no action with verb ${options.verb}`);
  }
  const data = {
    ...(options.forge?.data ?? (button?.data as Record<string, unknown> | undefined) ?? {}),
    ...options.inputs,
  };
  const tenantId = user.tenantId ?? ctx.tenantId;
  const now = ctx.now();
  const activity: Record<string, unknown> = {
    type: options.kind === 'submit' ? 'message' : 'invoke',
    ...(options.kind === 'submit' ? {} : { name: 'adaptiveCard/action' }),
    id: `f:${randomBytes(9).toString('hex')}`,
    timestamp: new Date(now).toISOString(),
    localTimestamp: new Date(now).toISOString(),
    serviceUrl: ctx.serviceUrl,
    channelId: 'msteams',
    from: {
      id: user.teamsUserId ?? `29:${user.aadObjectId}`,
      name: user.name,
      aadObjectId: user.aadObjectId,
    },
    conversation: {
      isGroup: true,
      conversationType: 'channel',
      tenantId,
      id: `${posted.conversationId};messageid=${posted.id}`,
    },
    recipient: { id: `28:${ctx.appId}`, name: 'Countersign' },
    replyToId: posted.id,
    locale: 'en-US',
    entities: [{ type: 'clientInfo', locale: 'en-US', platform: 'Web' }],
    channelData: {
      channel: { id: posted.conversationId },
      tenant: { id: tenantId },
      source: { name: 'message' },
      legacy: { replyToId: posted.id },
    },
    value:
      options.kind === 'submit'
        ? { countersignVerb: options.verb, ...data }
        : {
            action: {
              type: 'Action.Execute',
              verb: trigger === 'automatic' ? (button?.verb ?? options.verb) : options.verb,
              data,
            },
            trigger,
          },
  };
  const forge = options.forge ?? {};
  const token =
    forge.authorization !== undefined
      ? forge.authorization
      : `Bearer ${await signConnectorToken({
          key: ctx.keys.signingKey(forge.key ?? 'endorsed'),
          now,
          appId: ctx.appId,
          serviceUrl: ctx.serviceUrl,
          claims: forge.claims,
          header: forge.header,
        })}`;
  forge.activity?.(activity);
  const body = forge.rawBody ?? JSON.stringify(activity);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (token !== null) headers.authorization = token;
  const response = await fetch(ctx.botEndpoint, { method: 'POST', headers, body });
  const text = await response.text();
  const answer =
    options.kind === 'submit'
      ? { invokeResponse: null, problems: [], card: null, message: null }
      : readInvokeAnswer(response.status, text, ctx.maxMessageBytes);
  if (answer.problems.length > 0 && options.strict !== false) {
    throw new TeamsEmulatorError(`Teams would refuse the bot's answer: ${answer.problems.join('; ')}`);
  }
  return { status: response.status, body: text, ...answer, request: { headers, body } };
}

function cardOf(activity: Record<string, unknown>): Record<string, unknown> {
  const attachments = Array.isArray(activity.attachments) ? activity.attachments : [];
  const card = attachments.find((a) => isRecord(a) && a.contentType === CARD_TYPE)?.content;
  return isRecord(card) ? card : {};
}

/** The Action.Execute with this verb anywhere in the card (ShowCard sub-cards included). */
function findExecute(card: unknown, verb: string): Record<string, unknown> | null {
  if (Array.isArray(card)) {
    for (const item of card) {
      const found = findExecute(item, verb);
      if (found !== null) return found;
    }
    return null;
  }
  if (!isRecord(card)) return null;
  if (card.type === 'Action.Execute' && card.verb === verb) return card;
  for (const [key, child] of Object.entries(card)) {
    if (key === 'refresh' || key === 'fallback') continue;
    const found = findExecute(child, verb);
    if (found !== null) return found;
  }
  return null;
}

function refreshAction(card: Record<string, unknown>): Record<string, unknown> | null {
  const refresh = card.refresh;
  return isRecord(refresh) && isRecord(refresh.action) ? refresh.action : null;
}
