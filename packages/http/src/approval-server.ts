// One process for production: decision API, inbox, webhooks and Slack clicks over PostgreSQL.
import {
  type Clock,
  ConfigError,
  type Countersign,
  createCountersign,
  type Store,
  systemClock,
  type Transport,
} from '@countersign/core';
import { createPostgresStore } from '@countersign/postgres-store';
import { createSlackTransport, type SlackTransport } from '@countersign/slack-transport';
import { setAnswerHeaders } from './api-headers.js';
import type { OidcOptions } from './bearer-auth.js';
import { createDecisionApi, type DecisionApi } from './decision-api.js';
import { type Listening, listen } from './listen.js';
import { createJsonLogger, type Logger } from './logger.js';
import { checkKeys, PREFIX } from './options.js';
import { problem } from './problem.js';
import { type ApprovalServerConfig, CONFIG_KEYS } from './server-config.js';
import { serverLimits } from './server-limits.js';
import { createWebhookTransport } from './webhook-transport.js';

export interface ApprovalServerOptions {
  /** A store to use instead of opening PostgreSQL from `config.database` (tests, other stores). */
  store?: Store | undefined;
  /** Default: JSON lines on stderr. */
  logger?: Logger | undefined;
  clock?: Clock | undefined;
}

export interface ApprovalServer {
  /** The whole server as a Fetch handler. */
  readonly fetch: (request: Request) => Promise<Response>;
  readonly api: DecisionApi;
  readonly countersign: Countersign;
  /** Starts listening; resolves with the URL. */
  listen(): Promise<string>;
  /**
   * Graceful shutdown: stops accepting connections, lets requests in flight (decisions already
   * received, Slack clicks already acknowledged) finish, then closes transports and the store.
   */
  close(): Promise<void>;
}

export const SLACK_INTERACTIONS_PATH = '/slack/interactions';

function oidcOptions(config: NonNullable<ApprovalServerConfig['oidc']>): OidcOptions {
  checkKeys(
    config,
    [
      'issuer',
      'audience',
      'jwksUrl',
      'algorithms',
      'clockToleranceSeconds',
      'identityClaim',
      'identityPrefix',
      'requireAccessTokens',
      'maxTokenLifetimeSeconds',
    ],
    'oidc',
  );
  const prefix = config.identityPrefix ?? 'user:';
  return {
    issuer: config.issuer,
    audience: config.audience,
    jwksUrl: config.jwksUrl,
    algorithms: config.algorithms,
    clockToleranceSeconds: config.clockToleranceSeconds,
    identityClaim: config.identityClaim,
    requireAccessTokens: config.requireAccessTokens,
    maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
    mapIdentity: (value) => `${prefix}${value}`,
  };
}

export async function createApprovalServer(
  config: ApprovalServerConfig,
  options: ApprovalServerOptions = {},
): Promise<ApprovalServer> {
  checkKeys(config, CONFIG_KEYS, 'config');
  checkKeys(options, ['store', 'logger', 'clock'], 'createApprovalServer options');
  const logger = options.logger ?? createJsonLogger();
  const clock = options.clock ?? systemClock;
  const limits = serverLimits(config.limits);
  if (config.oidc === undefined && (config.relays ?? []).length === 0) {
    throw new ConfigError(
      `${PREFIX} set oidc (OIDC_ISSUER, OIDC_AUDIENCE, OIDC_JWKS_URL) or relays: nobody could decide otherwise`,
    );
  }
  let store = options.store;
  if (store === undefined) {
    const database = config.database ?? {};
    checkKeys(database, ['url', 'schema', 'migrate'], 'database');
    if (!database.url) throw new ConfigError(`${PREFIX} set database.url or COUNTERSIGN_PG_URL`);
    const pgStore = createPostgresStore({
      connectionString: database.url,
      schema: database.schema,
      onError: (error) => logger.warn('store background error', { error }),
    });
    if (database.migrate !== false) {
      await pgStore.migrate();
      logger.info('migrations applied', { schema: pgStore.schema });
    }
    store = pgStore;
  }

  const transports: Transport[] = [];
  for (const hook of config.webhooks ?? []) {
    checkKeys(hook, ['url', 'secret', 'privateKey', 'name'], 'webhooks[]');
    transports.push(
      createWebhookTransport({
        ...hook,
        publicUrl: config.publicUrl,
        clock,
        logger: { warn: (message, fields) => logger.warn(message, fields) },
      }),
    );
  }
  let slack: SlackTransport | null = null;
  if (config.slack !== undefined) {
    slack = createSlackTransport({
      ...config.slack,
      // Cut messages link to the inbox's request page, which exists only with the inbox on.
      publicUrl: (config.inbox ?? config.oidc !== undefined) ? config.publicUrl : undefined,
      logger: { warn: (message) => logger.warn(message), error: (message) => logger.error(message) },
    });
    transports.push(slack);
  }

  const countersign = createCountersign({
    store,
    transports,
    policy: config.policy ?? [],
    directory: config.directory,
    clock,
    // This server is where requests reach people, and its output is JSON lines only.
    logger: null,
  });
  const api = createDecisionApi(countersign, {
    store,
    oidc: config.oidc === undefined ? undefined : oidcOptions(config.oidc),
    relays: config.relays,
    auditors: config.auditors,
    agents: config.agents,
    publicUrl: config.publicUrl,
    inbox: config.inbox ?? config.oidc !== undefined,
    clock,
  });

  const fetch = async (request: Request): Promise<Response> => {
    const started = performance.now();
    const path = new URL(request.url).pathname;
    let response: Response;
    if (path === SLACK_INTERACTIONS_PATH && slack !== null) {
      response =
        request.method === 'POST'
          ? await slack.handleInteraction(request)
          : problem(405, 'method_not_allowed', `${path} answers POST`, { headers: { allow: 'POST' } });
    } else {
      response = await api.fetch(request);
    }
    setAnswerHeaders(response.headers);
    // Path only: queries may carry cursors, and headers carry credentials.
    logger.info('request', {
      method: request.method,
      path,
      status: response.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
    return response;
  };

  const sweepMs = (config.sweepSeconds ?? 30) * 1000;
  const sweeper =
    sweepMs > 0
      ? setInterval(() => {
          countersign.sweep().then(
            (expired) => {
              if (expired > 0) logger.info('expired pending requests past their deadline', { expired });
            },
            (error: unknown) => logger.warn('sweep failed', { error }),
          );
        }, sweepMs)
      : null;
  sweeper?.unref();

  let listening: Listening | null = null;
  let closed = false;
  return {
    fetch,
    api,
    countersign,
    async listen() {
      listening = await listen(fetch, {
        port: config.port ?? 8080,
        hostname: config.host ?? '127.0.0.1',
        limits,
      });
      logger.info('listening', {
        url: listening.url,
        inbox: config.inbox ?? config.oidc !== undefined,
        slack: slack !== null,
        webhooks: (config.webhooks ?? []).length,
      });
      return listening.url;
    },
    async close() {
      if (closed) return;
      closed = true;
      logger.info('shutting down');
      if (sweeper !== null) clearInterval(sweeper);
      // Stop accepting first; then end live streams so only real requests hold the grace period.
      const draining = listening?.close((config.shutdownGraceSeconds ?? 10) * 1000);
      await api.close();
      await draining;
      await countersign.close();
      logger.info('stopped');
    },
  };
}
