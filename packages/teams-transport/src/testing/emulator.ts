// createTeamsEmulator: composes the tenant, token endpoint, keys, activities and clicks into one emulator.
import { ConnectorActivities, type PostedActivity } from './activities.js';
import { type ClickContext, type ClickOptions, type ClickResult, clickCard } from './clicks.js';
import { TeamsEmulatorError } from './errors.js';
import { type EmulatorFault, type EmulatorRoute, FaultPlan, type RateLimitOptions } from './faults.js';
import { KeyRing, signConnectorToken } from './key-ring.js';
import type { KeyChoice } from './keys.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './message-size.js';
import { type EmulatorCall, type RouteContext, routeRequest } from './routes.js';
import { EmulatorServer } from './server.js';
import {
  DEFAULT_APP_ID,
  DEFAULT_APP_PASSWORD,
  DEFAULT_CONVERSATION_ID,
  DEFAULT_TENANT_ID,
  DEFAULT_USERS,
  type EmulatedTeamsUser,
} from './tenant.js';
import { TokenEndpoint } from './token-endpoint.js';

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
  readonly #maxMessageBytes: number;
  readonly #faults = new FaultPlan();
  readonly #calls: EmulatorCall[] = [];
  readonly #activities: ConnectorActivities;
  readonly #tokens: TokenEndpoint;
  readonly #keys = new KeyRing();
  readonly #server = new EmulatorServer();
  readonly #routes: RouteContext;
  readonly #clicks: ClickContext;
  #botEndpoint: string | undefined;

  constructor(options: TeamsEmulatorOptions) {
    this.appId = options.appId ?? DEFAULT_APP_ID;
    this.appPassword = options.appPassword ?? DEFAULT_APP_PASSWORD;
    this.tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    this.conversationId = options.conversationId ?? DEFAULT_CONVERSATION_ID;
    this.users = options.users ?? DEFAULT_USERS;
    this.#botEndpoint = options.botEndpoint;
    this.#now = options.now ?? Date.now;
    const tokenLifetime = options.accessTokenLifetimeSeconds ?? 3_600;
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(this.#maxMessageBytes) || this.#maxMessageBytes < 1)
      throw new TeamsEmulatorError('maxMessageBytes must be a positive integer');
    this.#activities = new ConnectorActivities({
      conversationId: this.conversationId,
      maxMessageBytes: this.#maxMessageBytes,
      now: this.#now,
    });
    this.#tokens = new TokenEndpoint({
      appId: this.appId,
      appPassword: this.appPassword,
      lifetimeSeconds: tokenLifetime,
      now: this.#now,
    });
    this.#routes = {
      tenantId: this.tenantId,
      url: () => this.url,
      now: this.#now,
      calls: this.#calls,
      faults: this.#faults,
      keys: this.#keys,
      tokens: this.#tokens,
      activities: this.#activities,
    };
    const emulator = this;
    this.#clicks = {
      get botEndpoint() {
        return emulator.#botEndpoint;
      },
      get serviceUrl() {
        return emulator.serviceUrl;
      },
      appId: this.appId,
      tenantId: this.tenantId,
      users: this.users,
      now: this.#now,
      maxMessageBytes: this.#maxMessageBytes,
      activities: this.#activities,
      keys: this.#keys,
    };
  }

  get url(): string {
    return this.#server.url;
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
    this.#server.assertStartable();
    await this.#keys.create();
    await this.#server.listen((req, res) => routeRequest(req, res, this.#routes));
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  setBotEndpoint(url: string): void {
    this.#botEndpoint = new URL(url).href;
  }

  get calls(): readonly EmulatorCall[] {
    return [...this.#calls];
  }

  get activities(): readonly PostedActivity[] {
    return this.#activities.snapshots();
  }

  activity(id: string): PostedActivity | undefined {
    return this.#activities.snapshot(id);
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

  rotateKeys(options: { endorsements?: readonly string[] | null | undefined } = {}): Promise<void> {
    return this.#keys.rotate(options.endorsements);
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return this.#keys.jwks();
  }

  mintToken(
    options: { claims?: Record<string, unknown>; header?: Record<string, unknown>; key?: KeyChoice } = {},
  ): Promise<string> {
    return signConnectorToken({
      key: this.#keys.signingKey(options.key ?? 'endorsed'),
      now: this.#now(),
      appId: this.appId,
      serviceUrl: this.serviceUrl,
      claims: options.claims,
      header: options.header,
    });
  }

  click(options: ClickOptions): Promise<ClickResult> {
    return clickCard(this.#clicks, options);
  }
}
