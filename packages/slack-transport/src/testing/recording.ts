// What the emulator records: messages and their revisions, ephemerals, views, calls.
import type { ModalDefinition, SlackBlock } from './blocks.js';

/** A message as Slack stores it and returns it (`chat.postMessage` `message`, `block_actions` `message`). */
export interface SlackMessage {
  readonly type: 'message';
  readonly ts: string;
  readonly text: string;
  /** Author's user id: the bot user for messages the app posted. */
  readonly user: string;
  readonly team: string;
  readonly blocks?: readonly SlackBlock[] | undefined;
  readonly attachments?: readonly unknown[] | undefined;
  readonly bot_id?: string | undefined;
  readonly app_id?: string | undefined;
  readonly bot_profile?:
    | {
        readonly id: string;
        readonly app_id: string;
        readonly name: string;
        readonly team_id: string;
        readonly deleted: boolean;
      }
    | undefined;
  readonly thread_ts?: string | undefined;
  readonly metadata?: unknown;
  /** Present once the message has been edited. */
  readonly edited?: { readonly user: string; readonly ts: string } | undefined;
}

/** Every Web API request the emulator answered, in arrival order. */
export interface ApiCallRecord {
  /** Method name from the path, e.g. `chat.postMessage`. */
  readonly method: string;
  /** Arguments from the query string and body; JSON-encoded fields (`blocks`, `view`, ...) are decoded. */
  readonly args: Readonly<Record<string, unknown>>;
  /** Token from `Authorization: Bearer` or, for form bodies, the `token` field. */
  readonly token: string | undefined;
  /** Request `Content-Type`, as sent. */
  readonly contentType: string | undefined;
  /** HTTP status the emulator answered with (200, 429, an injected status, or 0 for a dropped connection). */
  readonly status: number;
  /** The JSON body answered, or `undefined` for injected non-JSON answers and dropped connections. */
  readonly response: Readonly<Record<string, unknown>> | undefined;
  /** Emulator clock, milliseconds. */
  readonly at: number;
}

/** What changed a message. */
export type MessageChangeSource = 'chat.postMessage' | 'chat.update' | 'response_url' | 'seed';

/** One state of a message; `message` is `null` when the change deleted it. */
export interface MessageRevision {
  readonly at: number;
  readonly source: MessageChangeSource;
  readonly message: SlackMessage | null;
}

/** A (non-ephemeral) message in a conversation, with its current state and every revision. */
export interface MessageRecord {
  readonly channel: string;
  readonly ts: string;
  /** Current state; after a delete, the last state before it. */
  readonly message: SlackMessage;
  readonly deleted: boolean;
  /** Oldest first; the first revision is the post. */
  readonly history: readonly MessageRevision[];
}

/** A message only `user` can see, from `chat.postEphemeral` or an ephemeral `response_url` reply. */
export interface EphemeralRecord {
  readonly channel: string;
  readonly user: string;
  readonly messageTs: string;
  readonly message: SlackMessage;
  readonly source: 'chat.postEphemeral' | 'response_url';
  readonly deleted: boolean;
}

/** A modal opened with `views.open`. */
export interface ViewRecord {
  /** View id, e.g. `V0EMU00001`. */
  readonly id: string;
  /** User the modal was opened for (the user whose interaction minted the trigger id). */
  readonly user: string;
  readonly triggerId: string;
  readonly view: ModalDefinition;
  /** `open` until a submission closes it (empty or `clear` response), or `update` replaces it. */
  readonly status: 'open' | 'closed';
  readonly hash: string;
  readonly openedAt: number;
  /** Every `view_submission` delivered for this view, oldest first. */
  readonly submissions: readonly InteractionResult[];
}

/** A POST the app made to a `response_url`. */
export interface ResponseUrlRecord {
  /** Path id after `/response/`. */
  readonly id: string;
  readonly body: Readonly<Record<string, unknown>> | undefined;
  readonly rawBody: string;
  /** HTTP status the emulator answered with. */
  readonly status: number;
  readonly at: number;
}

/** The outcome of delivering a signed interaction payload to the app. */
export interface InteractionResult {
  readonly type: 'block_actions' | 'view_submission';
  /** The payload object that was serialized (after any `mutate`). */
  readonly payload: Readonly<Record<string, unknown>>;
  /** The exact request body sent: `payload=<url-encoded JSON>`. */
  readonly rawBody: string;
  /** Request headers sent, lowercase names. */
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** The app's HTTP status. */
  readonly status: number;
  /** The app's response body as text. */
  readonly body: string;
  /** The body parsed as JSON when it is JSON, else `undefined`. An empty body is `undefined`. */
  readonly json: unknown;
  /** Milliseconds from sending the request to receiving the full response. */
  readonly elapsedMs: number;
  /**
   * Whether Slack would count this as acknowledged: HTTP 200 within 3 seconds. Slack shows the user an
   * error otherwise (and does not retry interactions).
   */
  readonly acknowledged: boolean;
  /** Trigger id carried by the payload (usable with `views.open` for 3 seconds). */
  readonly triggerId: string;
  /** `response_url` carried by the payload, or `undefined` for view submissions. */
  readonly responseUrl: string | undefined;
}

/** Mutable message entry kept by the emulator. */
export interface MessageEntry {
  readonly channel: string;
  readonly ts: string;
  current: SlackMessage;
  deleted: boolean;
  readonly history: MessageRevision[];
}

/** Mutable view entry kept by the emulator. */
export interface ViewEntry {
  readonly id: string;
  readonly user: string;
  readonly triggerId: string;
  view: ModalDefinition;
  status: 'open' | 'closed';
  hash: string;
  readonly openedAt: number;
  readonly submissions: InteractionResult[];
}

/** Mutable ephemeral entry kept by the emulator. */
export interface EphemeralEntry {
  readonly channel: string;
  readonly user: string;
  readonly messageTs: string;
  message: SlackMessage;
  readonly source: 'chat.postEphemeral' | 'response_url';
  deleted: boolean;
}

/** A trigger id minted by an interaction; `views.open` may exchange it once within 3 seconds. */
export interface TriggerEntry {
  readonly user: string;
  readonly issuedAt: number;
  exchanged: boolean;
}

/** Where a response URL points back to. */
export interface ResponseUrlEntry {
  readonly user: string;
  readonly channel: string;
  readonly messageTs: string;
  readonly isEphemeral: boolean;
  readonly issuedAt: number;
  uses: number;
}

/** All state the emulator accumulates. One instance per emulator. */
export class Ledger {
  readonly calls: ApiCallRecord[] = [];
  readonly messages = new Map<string, MessageEntry>();
  readonly ephemerals: EphemeralEntry[] = [];
  readonly views = new Map<string, ViewEntry>();
  readonly triggers = new Map<string, TriggerEntry>();
  readonly responseUrls = new Map<string, ResponseUrlEntry>();
  readonly responseUrlPosts: ResponseUrlRecord[] = [];
  readonly interactions: InteractionResult[] = [];

  static messageKey(channel: string, ts: string): string {
    return `${channel}/${ts}`;
  }

  message(channel: string, ts: string): MessageEntry | undefined {
    return this.messages.get(Ledger.messageKey(channel, ts));
  }

  addMessage(channel: string, message: SlackMessage, source: MessageChangeSource, at: number): void {
    this.messages.set(Ledger.messageKey(channel, message.ts), {
      channel,
      ts: message.ts,
      current: message,
      deleted: false,
      history: [{ at, source, message }],
    });
  }

  reviseMessage(
    entry: MessageEntry,
    message: SlackMessage | null,
    source: MessageChangeSource,
    at: number,
  ): void {
    if (message === null) entry.deleted = true;
    else entry.current = message;
    entry.history.push({ at, source, message });
  }
}

/** A read-only snapshot of a message entry. */
export function snapshotMessage(entry: MessageEntry): MessageRecord {
  return {
    channel: entry.channel,
    ts: entry.ts,
    message: entry.current,
    deleted: entry.deleted,
    history: [...entry.history],
  };
}

/** Read-only snapshots of every message, ordered by channel, then by `ts` as Slack orders them. */
export function snapshotMessages(ledger: Ledger): MessageRecord[] {
  return [...ledger.messages.values()]
    .map(snapshotMessage)
    .sort((a, b) => (a.channel === b.channel ? compareTs(a.ts, b.ts) : a.channel < b.channel ? -1 : 1));
}

function compareTs(a: string, b: string): number {
  const [aSeconds = '', aMicros = ''] = a.split('.');
  const [bSeconds = '', bMicros = ''] = b.split('.');
  return (
    aSeconds.length - bSeconds.length || aSeconds.localeCompare(bSeconds) || aMicros.localeCompare(bMicros)
  );
}
