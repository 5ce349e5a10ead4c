// createSlackEmulator: composes workspace, ledger, faults, server and interactions into one SlackEmulator.
import type { SlackBlock } from './blocks.js';
import { type ClickOptions, clickButton } from './clicks.js';
import { SlackEmulatorError } from './errors.js';
import { FaultPlan, type RateLimitOptions, type SlackFault } from './faults.js';
import { IdMint } from './ids.js';
import { type InteractionSender, issueTriggerId } from './interaction-sender.js';
import {
  type ApiCallRecord,
  type EphemeralRecord,
  type InteractionResult,
  Ledger,
  type MessageRecord,
  type ResponseUrlRecord,
  type SlackMessage,
  snapshotMessage,
  snapshotMessages,
  type ViewRecord,
} from './recording.js';
import { routeRequest } from './routes.js';
import { EmulatorServer } from './server.js';
import { type SubmitViewOptions, submitView } from './view-submissions.js';
import type { WebApiContext } from './web-api.js';
import {
  DEFAULT_BOT,
  DEFAULT_BOT_TOKEN,
  DEFAULT_CHANNELS,
  DEFAULT_SIGNING_SECRET,
  DEFAULT_TEAM,
  DEFAULT_USERS,
  DEFAULT_VERIFICATION_TOKEN,
  type EmulatedBot,
  type EmulatedChannel,
  type EmulatedTeam,
  type EmulatedUser,
  Workspace,
} from './workspace.js';

/**
 * Configuration of {@link createSlackEmulator}. Every field is optional; the defaults describe a small
 * workspace that is enough for an approvals flow.
 */
export interface SlackEmulatorOptions {
  /** Defaults to {@link DEFAULT_TEAM}: `T0EMULATOR`, domain `countersign-emulator`. */
  readonly team?: EmulatedTeam | undefined;
  /** Defaults to {@link DEFAULT_BOT}: user `U0EMULBOT`, bot `B0EMULBOT`, app `A0EMULAPP`. */
  readonly bot?: EmulatedBot | undefined;
  /** Bot tokens the Web API accepts. Defaults to `[DEFAULT_BOT_TOKEN]` (`xoxb-emulator-0000-token`). */
  readonly tokens?: readonly string[] | undefined;
  /** Defaults to {@link DEFAULT_CHANNELS}: `C0APPROVALS` (bot member) and `C0GENERAL` (bot not member). */
  readonly channels?: readonly EmulatedChannel[] | undefined;
  /** Defaults to {@link DEFAULT_USERS}: `U0ALICE`, `U0BOB`, and deactivated `U0CAROL`. */
  readonly users?: readonly EmulatedUser[] | undefined;
  /** Secret used to sign interaction requests. Defaults to {@link DEFAULT_SIGNING_SECRET}. */
  readonly signingSecret?: string | undefined;
  /** Legacy verification token put in payloads. Defaults to {@link DEFAULT_VERIFICATION_TOKEN}. */
  readonly verificationToken?: string | undefined;
  /** The app's Interactivity Request URL, where clicks and view submissions are POSTed. */
  readonly interactionUrl?: string | undefined;
  /**
   * Clock in epoch milliseconds, used for message timestamps, trigger-id expiry (3 s), response-URL
   * expiry (30 min) and the `X-Slack-Request-Timestamp` of interactions. Defaults to `Date.now`.
   */
  readonly now?: (() => number) | undefined;
}

/** Options of {@link SlackEmulator.seedMessage}. */
export interface SeedMessageOptions {
  /** Channel id. */
  readonly channel: string;
  /** Author; a human user id makes a message the bot cannot `chat.update` (`cant_update_message`). */
  readonly user: string;
  readonly text: string;
  readonly blocks?: readonly SlackBlock[] | undefined;
}

/**
 * A local, in-process stand-in for Slack: the Web API methods an approvals transport uses, served over
 * real HTTP so that the official `WebClient` can talk to it, plus the interaction side (button clicks,
 * modal submissions) delivered to the app signed like Slack signs them.
 *
 * Lifecycle: `await start()` binds 127.0.0.1 on an ephemeral port; `url` is valid afterwards. `close()`
 * stops listening, closes keep-alive connections, cancels injected delays and aborts in-flight interaction
 * deliveries. Not for use across processes; all state lives in memory.
 */
export interface SlackEmulator {
  /** `http://127.0.0.1:<port>`. Throws before `start()`. */
  readonly url: string;
  /** `url + '/api/'`, ready for `new WebClient(token, { slackApiUrl })`. Throws before `start()`. */
  readonly apiUrl: string;
  readonly team: EmulatedTeam;
  readonly bot: EmulatedBot;
  /** First configured bot token. */
  readonly token: string;
  readonly signingSecret: string;
  readonly verificationToken: string;
  /** Starts the HTTP server. Resolves once listening. Calling it twice is an error. */
  start(): Promise<void>;
  /** Stops the server and drops all connections. Idempotent. */
  close(): Promise<void>;

  /** Every Web API call, in arrival order. */
  readonly calls: readonly ApiCallRecord[];
  /** Calls to one method, in arrival order. */
  callsTo(method: string): readonly ApiCallRecord[];
  /** Messages in conversations (not ephemerals), ordered by channel then `ts`, each with its history. */
  readonly messages: readonly MessageRecord[];
  /** One message by channel id and `ts`. */
  message(channel: string, ts: string): MessageRecord | undefined;
  /** Ephemeral messages, in posting order. */
  readonly ephemerals: readonly EphemeralRecord[];
  /** Modals opened with `views.open`, in opening order. */
  readonly views: readonly ViewRecord[];
  /** POSTs received on response URLs, in arrival order. */
  readonly responseUrlPosts: readonly ResponseUrlRecord[];
  /** Every interaction delivered by `click` and `submitView`, in order. */
  readonly interactions: readonly InteractionResult[];

  /** Answers the next `times` calls of `method` (or `'*'` for any) with HTTP 429 and `Retry-After`. */
  rateLimit(method: string, options: RateLimitOptions): void;
  /** Queues one fault for the next call of `method` (or `'*'`). Queued faults are consumed in order. */
  failNext(method: string, fault: SlackFault): void;
  /** Drops every queued fault and rate limit. */
  clearFaults(): void;

  /** Sets (or replaces) the app's Interactivity Request URL. */
  setInteractionUrl(url: string): void;
  /**
   * Clicks a button in a posted message: POSTs a signed `block_actions` payload to the interaction URL
   * and resolves with the app's response and the elapsed time. Mints a trigger id (valid 3 s for
   * `views.open`) and a response URL. Throws {@link SlackEmulatorError} for clicks Slack could not produce
   * (no such message or button, user not in the channel or deactivated).
   */
  click(options: ClickOptions): Promise<InteractionResult>;
  /**
   * Submits a modal previously opened with `views.open`: POSTs a signed `view_submission` payload. An empty
   * 200 response (or `response_action: 'clear'`) closes the view; `errors` keeps it open; `update` replaces
   * it. The parsed response is in `json`.
   */
  submitView(options: SubmitViewOptions): Promise<InteractionResult>;
  /** Mints a trigger id for `user` as if they had interacted with the app just now. */
  issueTriggerId(user: string): string;
  /** Inserts a message as if `user` had posted it. Returns the stored message. */
  seedMessage(options: SeedMessageOptions): SlackMessage;

  /** Adds a user to the workspace. */
  addUser(user: EmulatedUser): void;
  /** Changes a user, e.g. `{ deleted: true }` to deactivate them. */
  updateUser(id: string, patch: Partial<Omit<EmulatedUser, 'id'>>): void;
  /** Adds a channel. */
  addChannel(channel: EmulatedChannel): void;
  /** Changes a channel, e.g. `{ botIsMember: false }` to remove the bot. */
  updateChannel(id: string, patch: Partial<Omit<EmulatedChannel, 'id'>>): void;
  /** Revokes a token: calls with it then fail with `token_revoked`. */
  revokeToken(token: string): void;
}

/**
 * Creates a Slack emulator. Nothing listens until `await emulator.start()`.
 *
 * @example
 * const slack = createSlackEmulator({ interactionUrl: 'http://127.0.0.1:3000/slack/interactions' });
 * await slack.start();
 * const client = new WebClient(slack.token, { slackApiUrl: slack.apiUrl });
 * await client.chat.postMessage({ channel: 'C0APPROVALS', text: 'Approve?', blocks });
 * await slack.close();
 */
export function createSlackEmulator(options: SlackEmulatorOptions = {}): SlackEmulator {
  return new Emulator(options);
}

class Emulator implements SlackEmulator {
  readonly team: EmulatedTeam;
  readonly bot: EmulatedBot;
  readonly token: string;
  readonly signingSecret: string;
  readonly verificationToken: string;
  readonly #now: () => number;
  readonly #workspace: Workspace;
  readonly #ledger = new Ledger();
  readonly #faults = new FaultPlan();
  readonly #server = new EmulatorServer();
  readonly #mint: IdMint;
  readonly #context: WebApiContext;
  readonly #sender: InteractionSender;
  #interactionUrl: string | undefined;

  constructor(options: SlackEmulatorOptions) {
    this.team = options.team ?? DEFAULT_TEAM;
    this.bot = options.bot ?? DEFAULT_BOT;
    const tokens = options.tokens ?? [DEFAULT_BOT_TOKEN];
    const [firstToken] = tokens;
    if (firstToken === undefined) throw new SlackEmulatorError('at least one bot token is required');
    this.token = firstToken;
    this.signingSecret = options.signingSecret ?? DEFAULT_SIGNING_SECRET;
    this.verificationToken = options.verificationToken ?? DEFAULT_VERIFICATION_TOKEN;
    this.#interactionUrl = options.interactionUrl;
    this.#now = options.now ?? Date.now;
    this.#mint = new IdMint(this.#now);
    this.#workspace = new Workspace({
      team: this.team,
      bot: this.bot,
      tokens,
      channels: options.channels ?? DEFAULT_CHANNELS,
      users: options.users ?? DEFAULT_USERS,
    });
    this.#context = { workspace: this.#workspace, ledger: this.#ledger, mint: this.#mint, now: this.#now };
    this.#sender = {
      ...this.#context,
      team: this.team,
      bot: this.bot,
      signingSecret: this.signingSecret,
      verificationToken: this.verificationToken,
      url: () => this.url,
      interactionUrl: () => this.#interactionUrl,
      track: (request) => this.#server.track(request),
    };
  }

  get url(): string {
    return this.#server.url;
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  start(): Promise<void> {
    const call = {
      context: this.#context,
      faults: this.#faults,
      delay: (ms: number) => this.#server.delay(ms),
      isClosed: () => this.#server.closed,
    };
    return this.#server.start((request, response) => routeRequest(request, response, call));
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  get calls(): readonly ApiCallRecord[] {
    return [...this.#ledger.calls];
  }

  callsTo(method: string): readonly ApiCallRecord[] {
    return this.#ledger.calls.filter((call) => call.method === method);
  }

  get messages(): readonly MessageRecord[] {
    return snapshotMessages(this.#ledger);
  }

  message(channel: string, ts: string): MessageRecord | undefined {
    const entry = this.#ledger.message(channel, ts);
    return entry === undefined ? undefined : snapshotMessage(entry);
  }

  get ephemerals(): readonly EphemeralRecord[] {
    return this.#ledger.ephemerals.map((entry) => ({ ...entry }));
  }

  get views(): readonly ViewRecord[] {
    return [...this.#ledger.views.values()].map((entry) => ({
      ...entry,
      submissions: [...entry.submissions],
    }));
  }

  get responseUrlPosts(): readonly ResponseUrlRecord[] {
    return [...this.#ledger.responseUrlPosts];
  }

  get interactions(): readonly InteractionResult[] {
    return [...this.#ledger.interactions];
  }

  rateLimit(method: string, options: RateLimitOptions): void {
    this.#faults.rateLimit(method, options);
  }

  failNext(method: string, fault: SlackFault): void {
    this.#faults.failNext(method, fault);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  setInteractionUrl(url: string): void {
    this.#interactionUrl = new URL(url).toString();
  }

  issueTriggerId(user: string): string {
    return issueTriggerId(this.#context, user);
  }

  seedMessage(options: SeedMessageOptions): SlackMessage {
    if (this.#workspace.conversation(options.channel) === undefined) {
      throw new SlackEmulatorError(`no channel ${options.channel}`);
    }
    const message: SlackMessage = {
      type: 'message',
      ts: this.#mint.messageTs(),
      text: options.text,
      user: options.user,
      team: this.team.id,
      ...(options.blocks === undefined ? {} : { blocks: options.blocks }),
    };
    this.#ledger.addMessage(options.channel, message, 'seed', this.#now());
    return message;
  }

  addUser(user: EmulatedUser): void {
    this.#workspace.addUser(user);
  }

  updateUser(id: string, patch: Partial<Omit<EmulatedUser, 'id'>>): void {
    this.#workspace.updateUser(id, patch);
  }

  addChannel(channel: EmulatedChannel): void {
    this.#workspace.addChannel(channel);
  }

  updateChannel(id: string, patch: Partial<Omit<EmulatedChannel, 'id'>>): void {
    this.#workspace.updateChannel(id, patch);
  }

  revokeToken(token: string): void {
    this.#workspace.revokeToken(token);
  }

  click(options: ClickOptions): Promise<InteractionResult> {
    return clickButton(this.#sender, options);
  }

  submitView(options: SubmitViewOptions): Promise<InteractionResult> {
    return submitView(this.#sender, options);
  }
}
