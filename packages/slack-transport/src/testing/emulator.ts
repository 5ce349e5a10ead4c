// createSlackEmulator: a local Slack Web API over HTTP, plus the interaction side (clicks, modals).
import {
  type ClientRequest,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRecord, parseModal, type SlackBlock } from './blocks.js';
import { SlackApiFailure, SlackEmulatorError } from './errors.js';
import { FaultPlan, type PlannedFault, type RateLimitOptions, type SlackFault } from './faults.js';
import {
  bearerToken,
  charsetWarning,
  decodeJsonFields,
  parseArgs,
  parseObject,
  readBody,
  sendJson,
  stringValue,
} from './http.js';
import { IdMint } from './ids.js';
import {
  type BlockActionsPayload,
  deliverInteraction,
  type ForgeryOptions,
  findButton,
  type PayloadTeam,
  type PayloadUser,
  type ViewStateInput,
  type ViewSubmissionPayload,
  viewStateValues,
} from './interactions.js';
import {
  type ApiCallRecord,
  type EphemeralRecord,
  type InteractionResult,
  Ledger,
  type MessageRecord,
  type ResponseUrlRecord,
  type SlackMessage,
  snapshotMessage,
  type ViewEntry,
  type ViewRecord,
} from './recording.js';
import { handleResponseUrlPost } from './response-url.js';
import { renderView, viewHash, WEB_API_METHODS, type WebApiContext } from './web-api.js';
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

/** Options of {@link SlackEmulator.click}. */
export interface ClickOptions extends ForgeryOptions<BlockActionsPayload> {
  /** Id of the clicking user; must be an active member of the channel. */
  readonly user: string;
  /** Channel id of the message. */
  readonly channel: string;
  /** `ts` of the message (or `message_ts` of an ephemeral message shown to `user`). */
  readonly ts: string;
  /** `action_id` of the button to click. */
  readonly actionId: string;
  /** Disambiguates when several blocks hold a button with the same `action_id`. */
  readonly blockId?: string | undefined;
  /** Overrides the button's `value` in the payload. */
  readonly value?: string | undefined;
}

/** Options of {@link SlackEmulator.submitView}. */
export interface SubmitViewOptions extends ForgeryOptions<ViewSubmissionPayload> {
  /** Id of the submitting user; must be the user the modal was opened for. */
  readonly user: string;
  /** View id returned by `views.open`. */
  readonly viewId: string;
  /**
   * Input values by `block_id`, then `action_id`. Strings become `{ type: 'plain_text_input', value }`.
   * Every non-optional input block must be filled (Slack's client refuses to submit otherwise).
   */
  readonly values?: Readonly<Record<string, Readonly<Record<string, ViewStateInput>>>> | undefined;
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
  readonly #mint: IdMint;
  readonly #context: WebApiContext;
  readonly #pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  readonly #outgoing = new Set<ClientRequest>();
  #interactionUrl: string | undefined;
  #server: Server | undefined;
  #url: string | undefined;
  #closed = false;

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
  }

  get url(): string {
    if (this.#url === undefined) throw new SlackEmulatorError('not started: await emulator.start() first');
    return this.#url;
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  async start(): Promise<void> {
    if (this.#server !== undefined || this.#closed) {
      throw new SlackEmulatorError('start() may be called once per emulator');
    }
    const server = createServer((request, response) => {
      this.#route(request, response).catch((error: unknown) => {
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          response.end(`emulator failure: ${error instanceof Error ? error.message : String(error)}`);
        } else {
          response.destroy();
        }
      });
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pendingDelays) {
      clearTimeout(pending.timer);
      pending.resolve();
    }
    this.#pendingDelays.clear();
    for (const request of this.#outgoing) request.destroy(new SlackEmulatorError('emulator closed'));
    this.#outgoing.clear();
    const server = this.#server;
    if (server === undefined) return;
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error === undefined ? resolve() : reject(error)));
      server.closeAllConnections();
    });
  }

  get calls(): readonly ApiCallRecord[] {
    return [...this.#ledger.calls];
  }

  callsTo(method: string): readonly ApiCallRecord[] {
    return this.#ledger.calls.filter((call) => call.method === method);
  }

  get messages(): readonly MessageRecord[] {
    return [...this.#ledger.messages.values()]
      .map(snapshotMessage)
      .sort((a, b) => (a.channel === b.channel ? compareTs(a.ts, b.ts) : a.channel < b.channel ? -1 : 1));
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
    const triggerId = this.#mint.triggerId();
    this.#ledger.triggers.set(triggerId, { user, issuedAt: this.#now(), exchanged: false });
    return triggerId;
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

  async click(options: ClickOptions): Promise<InteractionResult> {
    const user = this.#activeUser(options.user);
    const conversation = this.#workspace.conversation(options.channel);
    if (conversation === undefined) throw new SlackEmulatorError(`no channel ${options.channel}`);
    if (!this.#workspace.isMember(conversation, user.id)) {
      throw new SlackEmulatorError(`user ${user.id} cannot see channel ${conversation.id}`);
    }
    const posted = this.#ledger.message(conversation.id, options.ts);
    const ephemeral = this.#ledger.ephemerals.find(
      (e) => e.channel === conversation.id && e.messageTs === options.ts && e.user === user.id && !e.deleted,
    );
    const message = posted !== undefined && !posted.deleted ? posted.current : ephemeral?.message;
    if (message === undefined) {
      throw new SlackEmulatorError(`no message ${options.ts} in ${conversation.id} visible to ${user.id}`);
    }
    const button = findButton(message.blocks, options.actionId, options.blockId);
    if (button === undefined) {
      throw new SlackEmulatorError(
        `message ${options.ts} has no button with action_id "${options.actionId}"`,
      );
    }
    const isEphemeral = message !== posted?.current;
    const triggerId = this.issueTriggerId(user.id);
    const responseId = this.#mint.opaque();
    this.#ledger.responseUrls.set(responseId, {
      user: user.id,
      channel: conversation.id,
      messageTs: options.ts,
      isEphemeral,
      issuedAt: this.#now(),
      uses: 0,
    });
    const responseUrl = `${this.url}/response/${responseId}`;
    const value =
      options.value ?? (typeof button.element.value === 'string' ? button.element.value : undefined);
    const payload: BlockActionsPayload = {
      type: 'block_actions',
      user: this.#payloadUser(user),
      api_app_id: this.bot.appId,
      token: this.verificationToken,
      container: {
        type: 'message',
        message_ts: options.ts,
        channel_id: conversation.id,
        is_ephemeral: isEphemeral,
      },
      trigger_id: triggerId,
      team: this.#payloadTeam(),
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: conversation.id, name: conversation.name },
      ...(isEphemeral ? {} : { message }),
      state: { values: {} },
      response_url: responseUrl,
      actions: [
        {
          type: 'button',
          action_id: options.actionId,
          block_id: button.blockId,
          text: button.element.text,
          ...(value === undefined ? {} : { value }),
          ...(typeof button.element.style === 'string' ? { style: button.element.style } : {}),
          action_ts: this.#mint.actionTs(),
        },
      ],
    };
    return this.#interact('block_actions', payload, options, triggerId, responseUrl);
  }

  async submitView(options: SubmitViewOptions): Promise<InteractionResult> {
    const user = this.#activeUser(options.user);
    const entry = this.#ledger.views.get(options.viewId);
    if (entry === undefined) throw new SlackEmulatorError(`no view ${options.viewId}`);
    if (entry.status !== 'open') throw new SlackEmulatorError(`view ${options.viewId} is closed`);
    if (entry.user !== user.id) {
      throw new SlackEmulatorError(`view ${options.viewId} was opened for ${entry.user}, not ${user.id}`);
    }
    if (entry.view.submit === null) {
      throw new SlackEmulatorError(`view ${options.viewId} has no submit button`);
    }
    const values = viewStateValues(entry, options.values ?? {});
    const triggerId = this.issueTriggerId(user.id);
    const payload: ViewSubmissionPayload = {
      type: 'view_submission',
      team: this.#payloadTeam(),
      user: this.#payloadUser(user),
      api_app_id: this.bot.appId,
      token: this.verificationToken,
      trigger_id: triggerId,
      view: { ...renderView(entry, this.#workspace), state: { values } },
      response_urls: [],
      enterprise: null,
      is_enterprise_install: false,
    };
    const result = await this.#interact('view_submission', payload, options, triggerId, undefined);
    entry.submissions.push(result);
    this.#applyViewResponse(entry, result);
    return result;
  }

  /** Signs and posts an interaction as Slack does, now, and records it in the ledger. */
  async #interact<Payload extends Record<string, unknown>>(
    type: InteractionResult['type'],
    payload: Payload,
    options: ForgeryOptions<Payload>,
    triggerId: string,
    responseUrl: string | undefined,
  ): Promise<InteractionResult> {
    const result = await deliverInteraction({
      type,
      url: this.#requireInteractionUrl(options.url),
      payload,
      signingSecret: this.signingSecret,
      timestamp: Math.floor(this.#now() / 1000),
      forgery: options,
      triggerId,
      responseUrl,
      track: (request) => this.#track(request),
    });
    this.#ledger.interactions.push(result);
    return result;
  }

  #applyViewResponse(entry: ViewEntry, result: InteractionResult): void {
    if (!result.acknowledged) return;
    const action = isRecord(result.json) ? result.json.response_action : undefined;
    if (action === undefined || action === 'clear') {
      entry.status = 'closed';
    } else if (action === 'update' && isRecord(result.json)) {
      try {
        entry.view = parseModal(result.json.view);
        entry.hash = viewHash(this.#context);
      } catch (error) {
        // Slack keeps showing the current view when the replacement is invalid.
        if (!(error instanceof SlackApiFailure)) throw error;
      }
    }
  }

  #activeUser(id: string): EmulatedUser {
    const user = this.#workspace.user(id);
    if (user === undefined) throw new SlackEmulatorError(`no user ${id}`);
    if (user.deleted === true) throw new SlackEmulatorError(`user ${id} is deactivated and cannot interact`);
    return user;
  }

  #payloadUser(user: EmulatedUser): PayloadUser {
    return { id: user.id, username: user.name, name: user.name, team_id: user.teamId ?? this.team.id };
  }

  #payloadTeam(): PayloadTeam {
    return { id: this.team.id, domain: this.team.domain };
  }

  #requireInteractionUrl(override: string | undefined): string {
    const url = override ?? this.#interactionUrl;
    if (url === undefined) {
      throw new SlackEmulatorError('no interaction URL: pass interactionUrl or call setInteractionUrl()');
    }
    return url;
  }

  #track(request: ClientRequest): () => void {
    if (this.#closed) request.destroy(new SlackEmulatorError('emulator closed'));
    this.#outgoing.add(request);
    return () => this.#outgoing.delete(request);
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const pending = {
        timer: setTimeout(() => {
          this.#pendingDelays.delete(pending);
          resolve();
        }, ms),
        resolve,
      };
      this.#pendingDelays.add(pending);
    });
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    const body = await readBody(request);
    const apiMatch = /^\/api\/([^/]+)$/.exec(url.pathname);
    if (apiMatch !== null && (request.method === 'POST' || request.method === 'GET')) {
      await this.#webApi(decodeURIComponent(apiMatch[1] ?? ''), url, request, body, response);
      return;
    }
    const responseMatch = /^\/response\/([^/]+)$/.exec(url.pathname);
    if (responseMatch !== null && request.method === 'POST') {
      const id = responseMatch[1] ?? '';
      const answer = handleResponseUrlPost(id, body, this.#context);
      this.#ledger.responseUrlPosts.push({
        id,
        body: parseObject(body),
        rawBody: body,
        status: answer.status,
        at: this.#now(),
      });
      sendJson(response, answer.status, answer.body);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('Not Found');
  }

  async #webApi(
    method: string,
    url: URL,
    request: IncomingMessage,
    body: string,
    response: ServerResponse,
  ): Promise<void> {
    const contentType = request.headers['content-type'];
    const parsed = parseArgs(url, contentType, body);
    const headerToken = bearerToken(request.headers.authorization);
    const spec = Object.hasOwn(WEB_API_METHODS, method) ? WEB_API_METHODS[method] : undefined;
    const args = spec !== undefined && !spec.acceptsJson && parsed.isJson ? parsed.queryArgs : parsed.args;
    const token = headerToken ?? (parsed.isJson ? undefined : stringValue(args.token));
    const record = (status: number, answer: Readonly<Record<string, unknown>> | undefined): void => {
      this.#ledger.calls.push({
        method,
        args: decodeJsonFields(args),
        token,
        contentType,
        status,
        response: answer,
        at: this.#now(),
      });
    };

    if (spec === undefined) {
      const answer = { ok: false, error: 'unknown_method', req_method: method };
      record(404, answer);
      sendJson(response, 404, answer);
      return;
    }
    const headers = {
      'x-oauth-scopes': 'chat:write,users:read,users:read.email',
      'x-accepted-oauth-scopes': spec.acceptedScopes.join(','),
    };
    const fault: PlannedFault | undefined = this.#faults.take(method);
    if (fault !== undefined && 'delayMs' in fault && fault.delayMs !== undefined) {
      await this.#delay(fault.delayMs);
      if (this.#closed) {
        record(0, undefined);
        response.destroy();
        return;
      }
    }
    if (fault !== undefined && 'kind' in fault) {
      const answer = { ok: false, error: 'ratelimited' };
      record(429, answer);
      sendJson(response, 429, answer, { ...headers, 'retry-after': String(fault.retryAfterSeconds) });
      return;
    }
    if (fault !== undefined && 'disconnect' in fault) {
      record(0, undefined);
      response.socket?.destroy();
      return;
    }
    if (fault !== undefined && 'status' in fault) {
      record(fault.status, undefined);
      response.writeHead(fault.status, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(fault.body ?? '');
      return;
    }
    if (fault !== undefined && 'error' in fault) {
      const answer = { ok: false, error: fault.error, ...fault.extra };
      record(200, answer);
      sendJson(response, 200, answer, headers);
      return;
    }
    if (parsed.postTypeError !== undefined) {
      const answer = { ok: false, error: parsed.postTypeError };
      record(200, answer);
      sendJson(response, 200, answer, headers);
      return;
    }

    const warnings = parsed.warning === undefined ? {} : charsetWarning(parsed.warning);
    const auth = this.#workspace.checkToken(token);
    let answer: Record<string, unknown>;
    if (auth !== 'ok') {
      answer = { ok: false, error: auth, ...warnings };
    } else {
      try {
        answer = { ok: true, ...spec.handle(args, this.#context), ...warnings };
      } catch (error) {
        if (!(error instanceof SlackApiFailure)) throw error;
        answer = { ok: false, error: error.code, ...error.details, ...warnings };
      }
    }
    record(200, answer);
    sendJson(response, 200, answer, headers);
  }
}

function compareTs(a: string, b: string): number {
  const [aSeconds = '', aMicros = ''] = a.split('.');
  const [bSeconds = '', bMicros = ''] = b.split('.');
  return (
    aSeconds.length - bSeconds.length || aSeconds.localeCompare(bSeconds) || aMicros.localeCompare(bMicros)
  );
}
