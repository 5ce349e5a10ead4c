// The Bot Connector's activities: posting and updating messages in the channel, what Teams refuses, history.
import { CARD_TYPE, isRecord } from './invoke-answer.js';
import { MESSAGE_LIMIT_NOTE, utf16Bytes } from './message-size.js';

/** An activity the bot posted, with every version it was updated to. */
export interface PostedActivity {
  id: string;
  conversationId: string;
  activity: Record<string, unknown>;
  history: readonly Record<string, unknown>[];
}

/** A posted activity as the emulator keeps it: every version, newest last. */
export interface ActivityEntry {
  id: string;
  conversationId: string;
  history: Record<string, unknown>[];
}

export interface ConnectorActivitiesOptions {
  /** The channel conversation that exists; any other is `ConversationNotFound`. */
  conversationId: string;
  maxMessageBytes: number;
  now: () => number;
}

/** The activities of the one channel conversation, as `POST` and `PUT .../activities` change them. */
export class ConnectorActivities {
  readonly #options: ConnectorActivitiesOptions;
  readonly #entries = new Map<string, ActivityEntry>();
  #sequence = 0;

  constructor(options: ConnectorActivitiesOptions) {
    this.#options = options;
  }

  /** Answers a post (`activityId` undefined) or an update as the connector does: `[status, body]`. */
  call(
    route: 'post' | 'update',
    conversationId: string,
    activityId: string | undefined,
    body: string,
  ): [number, unknown] {
    const { maxMessageBytes, now } = this.#options;
    const bad = (message: string): [number, unknown] => [400, { error: { code: 'BadArgument', message } }];
    const base = conversationId.split(';')[0]!;
    if (base !== this.#options.conversationId)
      return [404, { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } }];
    if (utf16Bytes(body) > maxMessageBytes) {
      const message = `Message size too large: over the ${maxMessageBytes} ${MESSAGE_LIMIT_NOTE}.`;
      return [413, { error: { code: 'MessageSizeTooBig', message } }];
    }
    let activity: unknown;
    try {
      activity = JSON.parse(body);
    } catch {
      return bad('Invalid JSON.');
    }
    if (!isRecord(activity) || activity.type !== 'message') return bad('Activity must be a message.');
    const problem = cardProblem(activity);
    if (problem !== null) return bad(problem);
    if (route === 'post') {
      const id = `${now()}${String(++this.#sequence).padStart(3, '0')}`;
      this.#entries.set(id, { id, conversationId: base, history: [activity] });
      return [201, { id }];
    }
    const entry = this.#entries.get(activityId!);
    if (entry === undefined)
      return [404, { error: { code: 'ActivityNotFound', message: 'Activity not found.' } }];
    entry.history.push(activity);
    return [200, { id: entry.id }];
  }

  /** The live entry, for the emulator's own use (clicks read its latest card). */
  entry(id: string): ActivityEntry | undefined {
    return this.#entries.get(id);
  }

  /** Copies of every posted activity, in posting order. */
  snapshots(): PostedActivity[] {
    return [...this.#entries.values()].map(snapshot);
  }

  /** A copy of one posted activity. */
  snapshot(id: string): PostedActivity | undefined {
    const entry = this.#entries.get(id);
    return entry === undefined ? undefined : snapshot(entry);
  }
}

function snapshot(entry: ActivityEntry): PostedActivity {
  return {
    id: entry.id,
    conversationId: entry.conversationId,
    activity: structuredClone(entry.history.at(-1)!),
    history: entry.history.map((a) => structuredClone(a)),
  };
}

/** What Teams refuses in an Adaptive Card attachment, or null. */
function cardProblem(activity: Record<string, unknown>): string | null {
  const attachments = activity.attachments;
  if (attachments === undefined)
    return typeof activity.text === 'string' ? null : 'Message has no text or attachments.';
  if (!Array.isArray(attachments)) return 'attachments must be an array.';
  for (const attachment of attachments) {
    if (!isRecord(attachment) || attachment.contentType !== CARD_TYPE) continue;
    const card = attachment.content;
    if (!isRecord(card) || card.type !== 'AdaptiveCard' || typeof card.version !== 'string') {
      return 'Adaptive Card content must have type AdaptiveCard and a version.';
    }
    if (!Array.isArray(card.body)) return 'Adaptive Card body must be an array.';
  }
  return null;
}
