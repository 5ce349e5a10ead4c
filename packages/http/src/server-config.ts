// The approval server's configuration: a JSON file, then environment variables over it.
import { readFile } from 'node:fs/promises';
import { ConfigError, type Directory, type PolicyRule } from '@countersign/core';
import type { AgentApiOptions } from './agent-api/agent-options.js';
import { checkKeys, PREFIX } from './options.js';
import type { RelayOptions } from './relay-auth.js';
import type { ServerLimits } from './server-limits.js';

export interface ServerOidcConfig {
  issuer: string;
  audience: string | string[];
  jwksUrl?: string | undefined;
  algorithms?: string[] | undefined;
  clockToleranceSeconds?: number | undefined;
  identityClaim?: string | undefined;
  /** Prepended to the claim's value to make the directory identity. Default `'user:'`. */
  identityPrefix?: string | undefined;
  /** Accept only RFC 9068 access tokens (`typ: at+jwt`). Default false. */
  requireAccessTokens?: boolean | undefined;
  /** Longest token lifetime (`exp - iat`) accepted, in seconds. Default: no limit. */
  maxTokenLifetimeSeconds?: number | undefined;
}

export interface ServerWebhookConfig {
  url: string;
  secret?: string | undefined;
  privateKey?: string | undefined;
  name?: string | undefined;
}

export interface ServerSlackConfig {
  token: string;
  signingSecret: string;
  channel: string;
  teamId: string;
  slackApiUrl?: string | undefined;
}

export interface ApprovalServerConfig {
  /** Default 8080. 0 picks a free port. */
  port?: number | undefined;
  /** Default `'127.0.0.1'`; set `'0.0.0.0'` behind a proxy or in a container. */
  host?: string | undefined;
  /** The URL people reach the server at: approval links, cookie `Secure`, origin checks. */
  publicUrl?: string | undefined;
  /** PostgreSQL: `url` (or `COUNTERSIGN_PG_URL` / `DATABASE_URL`), `schema` (default `countersign`). */
  database?:
    | { url?: string | undefined; schema?: string | undefined; migrate?: boolean | undefined }
    | undefined;
  /** The same policy and directory the agents use (the server creates no requests; it checks them). */
  policy?: PolicyRule[] | undefined;
  directory?: Directory | undefined;
  oidc?: ServerOidcConfig | undefined;
  relays?: RelayOptions[] | undefined;
  auditors?: string[] | undefined;
  /** The agent API (`/v1/calls`): workload token issuers and their actor templates (docs/agent-api.md). */
  agents?: AgentApiOptions | undefined;
  /** Serve the web inbox at `/inbox`. Default true when `oidc` is set. */
  inbox?: boolean | undefined;
  webhooks?: ServerWebhookConfig[] | undefined;
  slack?: ServerSlackConfig | undefined;
  /** How often pending requests past their deadline are expired, in seconds. Default 30; 0 disables. */
  sweepSeconds?: number | undefined;
  /** Seconds open requests may take to finish on shutdown. Default 10. */
  shutdownGraceSeconds?: number | undefined;
  /** Header and body timeouts and connection limits of the HTTP server; each has a default. */
  limits?: ServerLimits | undefined;
}

export const CONFIG_KEYS = [
  'port',
  'host',
  'publicUrl',
  'database',
  'policy',
  'directory',
  'oidc',
  'relays',
  'auditors',
  'agents',
  'inbox',
  'webhooks',
  'slack',
  'sweepSeconds',
  'shutdownGraceSeconds',
  'limits',
] as const;

/** Environment variables read, each over the file's value. Secrets are best given only here. */
export const CONFIG_ENV = {
  COUNTERSIGN_PORT: 'port',
  COUNTERSIGN_HOST: 'host',
  COUNTERSIGN_PUBLIC_URL: 'publicUrl',
  COUNTERSIGN_PG_URL: 'database.url',
  DATABASE_URL: 'database.url (when COUNTERSIGN_PG_URL is unset)',
  COUNTERSIGN_PG_SCHEMA: 'database.schema',
  OIDC_ISSUER: 'oidc.issuer',
  OIDC_AUDIENCE: 'oidc.audience',
  OIDC_JWKS_URL: 'oidc.jwksUrl',
  SLACK_BOT_TOKEN: 'slack.token',
  SLACK_SIGNING_SECRET: 'slack.signingSecret',
  SLACK_CHANNEL: 'slack.channel',
  SLACK_TEAM_ID: 'slack.teamId',
  COUNTERSIGN_WEBHOOK_URL: 'webhooks[0].url',
  COUNTERSIGN_WEBHOOK_SECRET: 'webhooks[0].secret',
} as const;

export async function loadConfigFile(path: string): Promise<ApprovalServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${PREFIX} cannot read config file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as ApprovalServerConfig;
  } catch (error) {
    throw new ConfigError(`${PREFIX} config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The file's configuration with the environment applied over it, and unknown keys refused. */
export function applyEnv(
  file: ApprovalServerConfig,
  env: Record<string, string | undefined>,
): ApprovalServerConfig {
  checkKeys(file, CONFIG_KEYS, 'config');
  const config: ApprovalServerConfig = { ...file };
  const set = <T>(value: string | undefined, apply: (v: string) => T) =>
    value === undefined || value === '' ? undefined : apply(value);
  set(env.COUNTERSIGN_PORT, (v) => {
    config.port = Number(v);
  });
  set(env.COUNTERSIGN_HOST, (v) => {
    config.host = v;
  });
  set(env.COUNTERSIGN_PUBLIC_URL, (v) => {
    config.publicUrl = v;
  });
  const dbUrl = env.COUNTERSIGN_PG_URL || env.DATABASE_URL;
  if (dbUrl || env.COUNTERSIGN_PG_SCHEMA) {
    config.database = {
      ...config.database,
      ...(dbUrl ? { url: dbUrl } : {}),
      ...(env.COUNTERSIGN_PG_SCHEMA ? { schema: env.COUNTERSIGN_PG_SCHEMA } : {}),
    };
  }
  if (env.OIDC_ISSUER || env.OIDC_AUDIENCE || env.OIDC_JWKS_URL) {
    config.oidc = {
      ...(config.oidc as ServerOidcConfig),
      ...(env.OIDC_ISSUER ? { issuer: env.OIDC_ISSUER } : {}),
      ...(env.OIDC_AUDIENCE ? { audience: env.OIDC_AUDIENCE } : {}),
      ...(env.OIDC_JWKS_URL ? { jwksUrl: env.OIDC_JWKS_URL } : {}),
    };
  }
  if (env.SLACK_BOT_TOKEN || env.SLACK_SIGNING_SECRET || env.SLACK_CHANNEL || env.SLACK_TEAM_ID) {
    config.slack = {
      ...(config.slack as ServerSlackConfig),
      ...(env.SLACK_BOT_TOKEN ? { token: env.SLACK_BOT_TOKEN } : {}),
      ...(env.SLACK_SIGNING_SECRET ? { signingSecret: env.SLACK_SIGNING_SECRET } : {}),
      ...(env.SLACK_CHANNEL ? { channel: env.SLACK_CHANNEL } : {}),
      ...(env.SLACK_TEAM_ID ? { teamId: env.SLACK_TEAM_ID } : {}),
    };
  }
  if (env.COUNTERSIGN_WEBHOOK_URL) {
    const [first, ...rest] = config.webhooks ?? [];
    config.webhooks = [
      {
        ...first,
        url: env.COUNTERSIGN_WEBHOOK_URL,
        ...(env.COUNTERSIGN_WEBHOOK_SECRET ? { secret: env.COUNTERSIGN_WEBHOOK_SECRET } : {}),
      },
      ...rest,
    ];
  }
  if (
    config.port !== undefined &&
    (!Number.isInteger(config.port) || config.port < 0 || config.port > 65_535)
  ) {
    throw new ConfigError(`${PREFIX} port must be an integer from 0 to 65535`);
  }
  return config;
}
