// The transport's options: their types, defaults, and the checks that reject bad ones.
import { type Clock, ConfigError, unknownKeyIssue } from '@countersign/core';
import type { TeamsTransportLogger } from './call-error.js';
import { BOT_FRAMEWORK_OPENID_METADATA_URL } from './openid-keys.js';
import { isAllowedServiceUrl, MICROSOFT_SERVICE_ORIGINS, parseAllowedOrigins } from './service-url.js';

/** The Teams account behind a click, from the authenticated activity. */
export interface TeamsUser {
  /** The Microsoft Entra object id (`from.aadObjectId`). */
  aadObjectId: string;
  /** The tenant the activity came from (already checked to be `tenantId`). */
  tenantId: string;
  /** The Teams user id (`29:…`), stable per bot. */
  teamsUserId: string;
  /** Display name: for messages only, never for identity. */
  name: string | null;
}

export interface TeamsTransportOptions {
  /** The bot's Microsoft App ID (the Azure Bot resource's app registration). */
  appId: string;
  /** A client secret of that app registration. Sent only to `tokenUrl`. */
  appPassword: string;
  /** Your Microsoft Entra tenant id. Clicks from any other tenant are refused. */
  tenantId: string;
  /** The Bot Connector URL for your region, e.g. `https://smba.trafficmanager.net/teams/`. */
  serviceUrl: string;
  /** The channel's conversation id (`19:…@thread.tacv2`) where requests are posted. */
  conversationId: string;
  /**
   * Maps the Teams account that clicked to a directory identity, or null to refuse it. Default
   * `teams:TENANT:AADOBJECTID`.
   */
  resolveApprover?: ((user: TeamsUser) => string | null | Promise<string | null>) | undefined;
  /** Origins that may receive the bot's token. Default: Microsoft's Teams service origins. */
  allowedServiceOrigins?: readonly string[] | undefined;
  /** OpenID metadata for inbound tokens. Default Microsoft's; tests point it at the emulator. */
  openIdMetadataUrl?: string | undefined;
  /** Token endpoint. Default `https://login.microsoftonline.com/{tenantId}/oauth2/v2.0/token` (single-tenant bot). */
  tokenUrl?: string | undefined;
  /** Time source for token lifetimes and rate-limit waits. Default: the clock core hands over. */
  clock?: Clock | undefined;
  /** Largest activity body accepted. Default 65536. */
  maxBodyBytes?: number | undefined;
  /** Per-call HTTP timeout, in milliseconds. Default 10000. */
  requestTimeoutMs?: number | undefined;
  /**
   * How long an invoke may wait for the decision (and core's card update) before it is answered
   * with what is known; the decision still completes. Default 4000, inside Teams' invoke timeout.
   */
  invokeBudgetMs?: number | undefined;
  /** Transport name, unique per countersign instance. Default `'teams'`. */
  name?: string | undefined;
  /** Where problems are reported. Default `console`. */
  logger?: TeamsTransportLogger | undefined;
  /**
   * The approval server's base URL (`@countersign/http`'s `publicUrl`, with the inbox on). A card
   * that cuts params or a reason to fit then links to the request's inbox page,
   * `<publicUrl>/inbox/requests/<id>`, which shows everything. Without it, the card still says what
   * it cut, unlinked.
   */
  publicUrl?: string | undefined;
}

export const PREFIX = '[teams]';

const KEYS: readonly (keyof TeamsTransportOptions)[] = [
  'appId',
  'appPassword',
  'tenantId',
  'serviceUrl',
  'conversationId',
  'resolveApprover',
  'allowedServiceOrigins',
  'openIdMetadataUrl',
  'tokenUrl',
  'clock',
  'maxBodyBytes',
  'requestTimeoutMs',
  'invokeBudgetMs',
  'name',
  'logger',
  'publicUrl',
];

export interface ResolvedOptions {
  options: TeamsTransportOptions;
  allowedOrigins: ReadonlySet<string>;
  openIdMetadataUrl: string;
  tokenUrl: string;
  maxBodyBytes: number;
  timeoutMs: number;
  invokeBudgetMs: number;
}

function httpUrl(value: unknown, key: string): string {
  try {
    const url = new URL(String(value));
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
  } catch {}
  throw new ConfigError(`${PREFIX} ${key} must be an http(s) URL`);
}

/** Checks the options, naming the first bad or unknown key. */
export function resolveOptions(options: TeamsTransportOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new ConfigError(`${PREFIX} options are required`);
  for (const key of Object.keys(options)) {
    if (!(KEYS as readonly string[]).includes(key))
      throw new ConfigError(`${PREFIX} options: ${unknownKeyIssue('', key, KEYS)}`);
  }
  for (const key of ['appId', 'appPassword', 'tenantId', 'serviceUrl', 'conversationId'] as const) {
    if (typeof options[key] !== 'string' || options[key].length === 0) {
      throw new ConfigError(`${PREFIX} ${key} is required: see the README's setup steps`);
    }
  }
  if (options.resolveApprover !== undefined && typeof options.resolveApprover !== 'function') {
    throw new ConfigError(`${PREFIX} resolveApprover must be a function`);
  }
  const allowedOrigins = parseAllowedOrigins(
    options.allowedServiceOrigins ?? MICROSOFT_SERVICE_ORIGINS,
    PREFIX,
  );
  if (!isAllowedServiceUrl(options.serviceUrl, allowedOrigins)) {
    throw new ConfigError(
      `${PREFIX} serviceUrl ${options.serviceUrl} is not on allowedServiceOrigins: use Microsoft's, or add its origin`,
    );
  }
  const maxBodyBytes = options.maxBodyBytes ?? 65_536;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1_024) {
    throw new ConfigError(`${PREFIX} maxBodyBytes must be an integer of at least 1024`);
  }
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new ConfigError(`${PREFIX} requestTimeoutMs must be a positive integer`);
  }
  const invokeBudgetMs = options.invokeBudgetMs ?? 4_000;
  if (!Number.isInteger(invokeBudgetMs) || invokeBudgetMs < 1) {
    throw new ConfigError(`${PREFIX} invokeBudgetMs must be a positive integer`);
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) {
    throw new ConfigError(`${PREFIX} name must be a non-empty string`);
  }
  if (options.publicUrl !== undefined) httpUrl(options.publicUrl, 'publicUrl');
  return {
    options,
    allowedOrigins,
    openIdMetadataUrl: httpUrl(
      options.openIdMetadataUrl ?? BOT_FRAMEWORK_OPENID_METADATA_URL,
      'openIdMetadataUrl',
    ),
    tokenUrl: httpUrl(
      options.tokenUrl ??
        `https://login.microsoftonline.com/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`,
      'tokenUrl',
    ),
    maxBodyBytes,
    timeoutMs,
    invokeBudgetMs,
  };
}
