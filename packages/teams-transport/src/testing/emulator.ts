// createTeamsEmulator: a local Bot Connector, Entra token endpoint and OpenID metadata for tests.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EmulatorFault, type EmulatorRoute, FaultPlan, type RateLimitOptions } from './faults.js';
import { CARD_TYPE, type InvokeAnswer, isRecord, readInvokeAnswer } from './invoke-answer.js';
import { createKey, type EmulatorKey, jwksDocument, type KeyChoice, signToken } from './keys.js';
import { DEFAULT_MAX_MESSAGE_BYTES, MESSAGE_LIMIT_NOTE, utf16Bytes } from './message-size.js';

export const DEFAULT_APP_ID = '00000000-0000-4000-8000-00000000b07a';
export const DEFAULT_APP_PASSWORD = 'emulator-client-secret';
export const DEFAULT_TENANT_ID = '11111111-1111-4111-8111-111111111111';
export const DEFAULT_CONVERSATION_ID = '19:approvals0000000000000000000000@thread.tacv2';

/** A person in the emulated tenant (or in another one, with `tenantId`). */
export interface EmulatedTeamsUser {
  /** Microsoft Entra object id. */
  aadObjectId: string;
  name: string;
  /** Defaults to the emulator's tenant. */
  tenantId?: string | undefined;
  /** Teams user id; defaults to `29:` + the object id. */
  teamsUserId?: string | undefined;
}

export const DEFAULT_USERS: readonly EmulatedTeamsUser[] = [
  { aadObjectId: 'aaaaaaaa-0000-4000-8000-00000000a11c', name: 'Alice Asker' },
  { aadObjectId: 'bbbbbbbb-0000-4000-8000-000000000b0b', name: 'Bob Approver' },
  { aadObjectId: 'dddddddd-0000-4000-8000-000000000da7', name: 'Dan Data' },
  { aadObjectId: 'eeeeeeee-0000-4000-8000-0000000e4177', name: 'Erin Owner' },
];

export interface TeamsEmulatorOptions {
  appId?: string | undefined;
  appPassword?: string | undefined;
  tenantId?: string | undefined;
  /** The channel conversation that exists; posting elsewhere is `ConversationNotFound`. */
  conversationId?: string | undefined;
  users?: readonly EmulatedTeamsUser[] | undefined;
  /** The bot's messaging endpoint, where clicks are POSTed. */
  botEndpoint?: string | undefined;
  /** Clock in epoch milliseconds for token lifetimes and timestamps. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** Lifetime of the bot's access tokens, in seconds. Default 3600. */
  accessTokenLifetimeSeconds?: number | undefined;
  /**
   * Largest message (post, update, or invoke answer) Teams accepts, in bytes of UTF-16. Default
   * 102400, the bot message limit Teams documents; lower it to test a tighter budget.
   */
  maxMessageBytes?: number | undefined;
}

/** One HTTP call the emulator answered. */
export interface EmulatorCall {
  route: 'openid' | 'jwks' | 'token' | 'post' | 'update' | 'other';
  method: string;
  path: string;
  status: number;
  /** Whether a valid bot access token came with it (connector routes only). */
  authorized: boolean;
  at: number;
  /** The raw request body as text. */
  body: string;
}

/** An activity the bot posted, with every version it was updated to. */
export interface PostedActivity {
  id: string;
  conversationId: string;
  activity: Record<string, unknown>;
  history: readonly Record<string, unknown>[];
}

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

export interface TeamsEmulator {
  readonly appId: string;
  readonly appPassword: string;
  readonly tenantId: string;
  readonly conversationId: string;
  readonly users: readonly EmulatedTeamsUser[];
  /** `http://127.0.0.1:<port>`. Throws before `start()`. */
  readonly url: string;
  /** The connector base URL to put in `serviceUrl`: `url + '/teams/'`. */
  readonly serviceUrl: string;
  /** The OpenID metadata URL for `openIdMetadataUrl`. */
  readonly openIdMetadataUrl: string;
  /** The token endpoint for `tokenUrl`. */
  readonly tokenUrl: string;
  start(): Promise<void>;
  close(): Promise<void>;
  setBotEndpoint(url: string): void;
  readonly calls: readonly EmulatorCall[];
  readonly activities: readonly PostedActivity[];
  activity(id: string): PostedActivity | undefined;
  rateLimit(route: EmulatorRoute, options: RateLimitOptions): void;
  failNext(route: EmulatorRoute, fault: EmulatorFault): void;
  clearFaults(): void;
  /**
   * Publishes a new key and signs with it from now on (the old one stays published). Its
   * `endorsements` default to `msteams` and `skype`; `null` publishes none.
   */
  rotateKeys(options?: { endorsements?: readonly string[] | null | undefined }): Promise<void>;
  /** A connector-to-bot token, for testing your own verification. */
  mintToken(options?: {
    claims?: Record<string, unknown>;
    header?: Record<string, unknown>;
    key?: KeyChoice;
  }): Promise<string>;
  /** The published JWKS (public keys with endorsements). */
  jwks(): { keys: Record<string, unknown>[] };
  /** Clicks a card action as `user`: sends the signed invoke to the bot and checks its answer. */
  click(options: ClickOptions): Promise<ClickResult>;
}

export class TeamsEmulatorError extends Error {
  constructor(message: string) {
    super(`[countersign] [teams emulator] ${message}`);
    this.name = 'TeamsEmulatorError';
  }
}

const SCOPE = 'https://api.botframework.com/.default';

/**
 * Creates a Teams emulator. Nothing listens until `await emulator.start()`.
 *
 * @example
 * const teams = createTeamsEmulator();
 * await teams.start();
 * const transport = createTeamsTransport({ ...teamsEmulatorOptions(teams) });
 */
export function createTeamsEmulator(options: TeamsEmulatorOptions = {}): TeamsEmulator {
  return new Emulator(options);
}

/** The transport options that point at an emulator. */
export function teamsEmulatorOptions(emulator: TeamsEmulator) {
  return {
    appId: emulator.appId,
    appPassword: emulator.appPassword,
    tenantId: emulator.tenantId,
    serviceUrl: emulator.serviceUrl,
    conversationId: emulator.conversationId,
    openIdMetadataUrl: emulator.openIdMetadataUrl,
    tokenUrl: emulator.tokenUrl,
    allowedServiceOrigins: [emulator.url],
  };
}

class Emulator implements TeamsEmulator {
  readonly appId: string;
  readonly appPassword: string;
  readonly tenantId: string;
  readonly conversationId: string;
  readonly users: readonly EmulatedTeamsUser[];
  readonly #now: () => number;
  readonly #tokenLifetime: number;
  readonly #maxMessageBytes: number;
  readonly #faults = new FaultPlan();
  readonly #calls: EmulatorCall[] = [];
  readonly #activities = new Map<
    string,
    { id: string; conversationId: string; history: Record<string, unknown>[] }
  >();
  /** Access tokens issued, with their expiry. */
  readonly #tokens = new Map<string, number>();
  #keys: EmulatorKey[] = [];
  #signing: { endorsed: EmulatorKey; unendorsed: EmulatorKey; unpublished: EmulatorKey } | null = null;
  #botEndpoint: string | undefined;
  #server: Server | undefined;
  #url: string | undefined;
  #closed = false;
  #sequence = 0;

  constructor(options: TeamsEmulatorOptions) {
    this.appId = options.appId ?? DEFAULT_APP_ID;
    this.appPassword = options.appPassword ?? DEFAULT_APP_PASSWORD;
    this.tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    this.conversationId = options.conversationId ?? DEFAULT_CONVERSATION_ID;
    this.users = options.users ?? DEFAULT_USERS;
    this.#botEndpoint = options.botEndpoint;
    this.#now = options.now ?? Date.now;
    this.#tokenLifetime = options.accessTokenLifetimeSeconds ?? 3_600;
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(this.#maxMessageBytes) || this.#maxMessageBytes < 1)
      throw new TeamsEmulatorError('maxMessageBytes must be a positive integer');
  }

  get url(): string {
    if (this.#url === undefined) throw new TeamsEmulatorError('not started: await emulator.start() first');
    return this.#url;
  }
  get serviceUrl(): string {
    return `${this.url}/teams/`;
  }
  get openIdMetadataUrl(): string {
    return `${this.url}/v1/.well-known/openidconfiguration`;
  }
  get tokenUrl(): string {
    return `${this.url}/${this.tenantId}/oauth2/v2.0/token`;
  }

  async start(): Promise<void> {
    if (this.#server !== undefined || this.#closed)
      throw new TeamsEmulatorError('start() may be called once');
    const [endorsed, unendorsed, unpublished] = await Promise.all([
      createKey(['msteams', 'skype']),
      createKey(['webchat']),
      createKey(['msteams'], false),
    ]);
    this.#keys = [endorsed, unendorsed, unpublished];
    this.#signing = { endorsed, unendorsed, unpublished };
    const server = createServer((req, res) => {
      this.#route(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator failure: ${error instanceof Error ? error.message : String(error)}`);
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
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const server = this.#server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  setBotEndpoint(url: string): void {
    this.#botEndpoint = new URL(url).href;
  }

  get calls(): readonly EmulatorCall[] {
    return [...this.#calls];
  }

  get activities(): readonly PostedActivity[] {
    return [...this.#activities.values()].map((a) => this.#snapshot(a));
  }

  activity(id: string): PostedActivity | undefined {
    const entry = this.#activities.get(id);
    return entry === undefined ? undefined : this.#snapshot(entry);
  }

  #snapshot(entry: {
    id: string;
    conversationId: string;
    history: Record<string, unknown>[];
  }): PostedActivity {
    return {
      id: entry.id,
      conversationId: entry.conversationId,
      activity: structuredClone(entry.history.at(-1)!),
      history: entry.history.map((a) => structuredClone(a)),
    };
  }

  rateLimit(route: EmulatorRoute, options: RateLimitOptions): void {
    this.#faults.rateLimit(route, options);
  }
  failNext(route: EmulatorRoute, fault: EmulatorFault): void {
    this.#faults.failNext(route, fault);
  }
  clearFaults(): void {
    this.#faults.clear();
  }

  async rotateKeys(options: { endorsements?: readonly string[] | null | undefined } = {}): Promise<void> {
    const key = await createKey(
      options.endorsements === undefined ? ['msteams', 'skype'] : options.endorsements,
    );
    this.#keys.push(key);
    this.#requireKeys().endorsed = key;
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return jwksDocument(this.#keys);
  }

  #requireKeys() {
    if (this.#signing === null) throw new TeamsEmulatorError('not started: await emulator.start() first');
    return this.#signing;
  }

  mintToken(
    options: { claims?: Record<string, unknown>; header?: Record<string, unknown>; key?: KeyChoice } = {},
  ): Promise<string> {
    return signToken({
      key: this.#requireKeys()[options.key ?? 'endorsed'],
      now: this.#now(),
      lifetimeSeconds: 3_600,
      claims: {
        iss: 'https://api.botframework.com',
        aud: this.appId,
        serviceurl: this.serviceUrl,
        ...options.claims,
      },
      header: options.header,
    });
  }

  async click(options: ClickOptions): Promise<ClickResult> {
    if (this.#botEndpoint === undefined)
      throw new TeamsEmulatorError('no bot endpoint: call setBotEndpoint(url) first');
    const user = this.users.find((u) => u.aadObjectId === options.user);
    if (user === undefined) throw new TeamsEmulatorError(`no user ${options.user}`);
    const posted = this.#activities.get(options.activityId);
    if (posted === undefined) throw new TeamsEmulatorError(`no activity ${options.activityId}`);
    const card = cardOf(posted.history.at(-1)!);
    const trigger = options.trigger ?? 'manual';
    const button = trigger === 'automatic' ? refreshAction(card) : findExecute(card, options.verb);
    if (button === null && options.forge?.data === undefined) {
      throw new TeamsEmulatorError(
        `the card of ${options.activityId} has no action with verb ${options.verb}`,
      );
    }
    const data = {
      ...(options.forge?.data ?? (button?.data as Record<string, unknown> | undefined) ?? {}),
      ...options.inputs,
    };
    const tenantId = user.tenantId ?? this.tenantId;
    const now = this.#now();
    const activity: Record<string, unknown> = {
      type: options.kind === 'submit' ? 'message' : 'invoke',
      ...(options.kind === 'submit' ? {} : { name: 'adaptiveCard/action' }),
      id: `f:${randomBytes(9).toString('hex')}`,
      timestamp: new Date(now).toISOString(),
      localTimestamp: new Date(now).toISOString(),
      serviceUrl: this.serviceUrl,
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
      recipient: { id: `28:${this.appId}`, name: 'Countersign' },
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
        : `Bearer ${await signToken({
            key: this.#requireKeys()[forge.key ?? 'endorsed'],
            now,
            lifetimeSeconds: 3_600,
            claims: {
              iss: 'https://api.botframework.com',
              aud: this.appId,
              serviceurl: this.serviceUrl,
              ...forge.claims,
            },
            header: forge.header,
          })}`;
    forge.activity?.(activity);
    const body = forge.rawBody ?? JSON.stringify(activity);
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (token !== null) headers.authorization = token;
    const response = await fetch(this.#botEndpoint, { method: 'POST', headers, body });
    const text = await response.text();
    const answer =
      options.kind === 'submit'
        ? { invokeResponse: null, problems: [], card: null, message: null }
        : readInvokeAnswer(response.status, text, this.#maxMessageBytes);
    if (answer.problems.length > 0 && options.strict !== false) {
      throw new TeamsEmulatorError(`Teams would refuse the bot's answer: ${answer.problems.join('; ')}`);
    }
    return { status: response.status, body: text, ...answer, request: { headers, body } };
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const record = (route: EmulatorCall['route'], status: number, authorized = false) =>
      this.#calls.push({ route, method, path: url.pathname, status, authorized, at: this.#now(), body });
    if (method === 'GET' && url.pathname === '/v1/.well-known/openidconfiguration') {
      record('openid', 200);
      return sendJson(res, 200, {
        issuer: 'https://api.botframework.com',
        authorization_endpoint: 'https://invalid.botframework.com',
        jwks_uri: `${this.url}/v1/.well-known/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      });
    }
    if (method === 'GET' && url.pathname === '/v1/.well-known/keys') {
      record('jwks', 200);
      return sendJson(res, 200, this.jwks());
    }
    if (url.pathname === `/${this.tenantId}/oauth2/v2.0/token`) {
      const fault = await this.#fault('token');
      if (fault !== null) {
        record('token', fault.status);
        return sendFault(res, fault);
      }
      const [status, answer] = this.#issueToken(method, req.headers['content-type'] ?? '', body);
      record('token', status);
      return sendJson(res, status, answer);
    }
    const match = /^\/teams\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(url.pathname);
    if (match !== null && (method === 'POST' || method === 'PUT')) {
      const route =
        method === 'POST' && match[2] === undefined
          ? 'post'
          : method === 'PUT' && match[2] !== undefined
            ? 'update'
            : null;
      if (route === null) {
        record('other', 405);
        return sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: 'Method not allowed.' } });
      }
      const authorized = this.#authorized(req.headers.authorization);
      if (!authorized) {
        record(route, 401);
        return sendJson(res, 401, { message: 'Authorization has been denied for this request.' });
      }
      const fault = await this.#fault(route);
      if (fault !== null) {
        record(route, fault.status, true);
        return sendFault(res, fault);
      }
      const [status, answer] = this.#activityCall(
        route,
        decodeURIComponent(match[1]!),
        match[2] === undefined ? undefined : decodeURIComponent(match[2]),
        body,
      );
      record(route, status, true);
      return sendJson(res, status, answer);
    }
    record('other', 404);
    return sendJson(res, 404, { error: { code: 'NotFound', message: 'No such endpoint.' } });
  }

  async #fault(
    route: 'token' | 'post' | 'update',
  ): Promise<{ status: number; code?: string | undefined; retryAfter?: number } | null> {
    const fault = this.#faults.take(route);
    if (fault === undefined) return null;
    if ('rateLimited' in fault)
      return { status: 429, code: 'TooManyRequests', retryAfter: fault.retryAfterSeconds };
    if (fault.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    return fault.status === undefined ? null : { status: fault.status, code: fault.code };
  }

  /** Microsoft Entra's client-credentials grant, with its documented error codes. */
  #issueToken(method: string, contentType: string, body: string): [number, unknown] {
    const error = (status: number, code: string, description: string): [number, unknown] => [
      status,
      {
        error: code,
        error_description: description,
        error_codes: [],
        timestamp: new Date(this.#now()).toISOString(),
      },
    ];
    if (method !== 'POST')
      return error(405, 'invalid_request', 'AADSTS900561: The endpoint only accepts POST requests.');
    if (!contentType.startsWith('application/x-www-form-urlencoded')) {
      return error(
        400,
        'invalid_request',
        'AADSTS900144: The request body must contain the following parameter: grant_type.',
      );
    }
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') {
      return error(
        400,
        'unsupported_grant_type',
        'AADSTS70003: The app requested an unsupported grant type.',
      );
    }
    if (form.get('client_id') !== this.appId) {
      return error(400, 'unauthorized_client', 'AADSTS700016: Application was not found in the directory.');
    }
    if (form.get('client_secret') !== this.appPassword) {
      return error(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    }
    if (form.get('scope') !== SCOPE)
      return error(400, 'invalid_scope', 'AADSTS70011: The provided value for scope is not valid.');
    const token = `emu.${randomBytes(24).toString('base64url')}`;
    this.#tokens.set(token, this.#now() + this.#tokenLifetime * 1000);
    return [
      200,
      {
        token_type: 'Bearer',
        expires_in: this.#tokenLifetime,
        ext_expires_in: this.#tokenLifetime,
        access_token: token,
      },
    ];
  }

  #authorized(header: string | undefined): boolean {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    const expires = token === undefined ? undefined : this.#tokens.get(token);
    return expires !== undefined && this.#now() < expires;
  }

  #activityCall(
    route: 'post' | 'update',
    conversationId: string,
    activityId: string | undefined,
    body: string,
  ): [number, unknown] {
    const bad = (message: string): [number, unknown] => [400, { error: { code: 'BadArgument', message } }];
    const base = conversationId.split(';')[0]!;
    if (base !== this.conversationId)
      return [404, { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } }];
    if (utf16Bytes(body) > this.#maxMessageBytes) {
      const message = `Message size too large: over the ${this.#maxMessageBytes} ${MESSAGE_LIMIT_NOTE}.`;
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
      const id = `${this.#now()}${String(++this.#sequence).padStart(3, '0')}`;
      this.#activities.set(id, { id, conversationId: base, history: [activity] });
      return [201, { id }];
    }
    const entry = this.#activities.get(activityId!);
    if (entry === undefined)
      return [404, { error: { code: 'ActivityNotFound', message: 'Activity not found.' } }];
    entry.history.push(activity);
    return [200, { id: entry.id }];
  }
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

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendFault(
  res: ServerResponse,
  fault: { status: number; code?: string | undefined; retryAfter?: number },
): void {
  const headers: Record<string, string> =
    fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
  sendJson(
    res,
    fault.status,
    { error: { code: fault.code ?? `Http${fault.status}`, message: 'Injected by the emulator.' } },
    headers,
  );
}
