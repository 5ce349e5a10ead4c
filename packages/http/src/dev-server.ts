// Development mode: the approval server on loopback, with a built-in token issuer and one-click sign-in links.
import { isIP } from 'node:net';
import {
  type Clock,
  ConfigError,
  type Countersign,
  type Directory,
  type PolicyRule,
  type Store,
  systemClock,
} from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { createApprovalServer } from './approval-server.js';
import { createDevSignInCodes } from './dev-sign-in-codes.js';
import { type Listening, listen } from './listen.js';
import { createJsonLogger, type Logger } from './logger.js';
import { checkKeys, PREFIX } from './options.js';
import { problem } from './problem.js';
import { createDevIssuer } from './testing/dev-issuer.js';

export interface DevServerOptions {
  /** Must be a loopback address: `127.0.0.1` (default), any `127.x.x.x`, `::1` or `localhost`. */
  host?: string | undefined;
  /** Default 8080. 0 picks a free port. */
  port?: number | undefined;
  /** A PostgreSQL URL to share with agents in other processes. Default: the memory store. */
  databaseUrl?: string | undefined;
  /** PostgreSQL schema. Default `countersign`. */
  schema?: string | undefined;
  /** A store to use instead (an agent in this process passes its own). */
  store?: Store | undefined;
  /** Who the sign-in link signs in as. Default `user:dev`. */
  as?: string | undefined;
  policy?: PolicyRule[] | undefined;
  directory?: Directory | undefined;
  /** Open a sample request from `agent:demo` for `as` to decide. Default false. */
  demo?: boolean | undefined;
  /** How long a sign-in link works, in seconds. Default 600. */
  linkTtlSeconds?: number | undefined;
  /** Default: JSON lines on stderr. */
  logger?: Logger | undefined;
  clock?: Clock | undefined;
}

export interface DevServer {
  /** `http://host:port`. */
  readonly url: string;
  /** The identity sign-in links sign in as. */
  readonly identity: string;
  readonly countersign: Countersign;
  /** The sample request's page, when `demo` is on. */
  readonly demoRequestUrl: string | null;
  /** A new one-click sign-in link: works once, within `linkTtlSeconds`. */
  signInLink(): string;
  /**
   * A token for the agent API as `agent:<name>` (default `agent:dev`), valid 12 hours: what
   * `COUNTERSIGN_TOKEN` holds for `countersign exec` or a client on this machine.
   */
  agentToken(name?: string): Promise<string>;
  close(): Promise<void>;
}

export const DEV_SIGN_IN_PATH = '/inbox/dev-sign-in';
export const DEV_IDENTITY = 'user:dev';
export const DEMO_ACTOR = 'agent:demo';
/** Who agent tokens from `agentToken()` name, and what the development rule asks `as` to approve. */
export const DEV_AGENT = 'agent:dev';
const AGENT_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const OPTION_KEYS = [
  'host',
  'port',
  'databaseUrl',
  'schema',
  'store',
  'as',
  'policy',
  'directory',
  'demo',
  'linkTtlSeconds',
  'logger',
  'clock',
] as const;
const IDENTITY = /^[a-z][a-z0-9_-]*:[^\s:][^\s]{0,200}$/;

/** True for the addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return isIP(bare) === 6 && bare === '::1';
}

/**
 * Development only: anyone who holds a printed link is `as`, and the token issuer's key lives in
 * this process. It refuses every address but loopback, so it cannot be reached from elsewhere.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  checkKeys(options, OPTION_KEYS, 'startDevServer options');
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    throw new ConfigError(
      `${PREFIX} development mode listens on loopback only (127.0.0.1, ::1 or localhost), not ${JSON.stringify(host)}: anyone reaching it could approve. Run countersign serve without --dev, with your identity provider, for anything else`,
    );
  }
  const identity = options.as ?? DEV_IDENTITY;
  if (!IDENTITY.test(identity) || identity === DEMO_ACTOR) {
    throw new ConfigError(
      `${PREFIX} --as must be an identity such as user:alice (kind:name), other than ${DEMO_ACTOR}`,
    );
  }
  if (options.store !== undefined && options.databaseUrl !== undefined) {
    throw new ConfigError(`${PREFIX} give a store or a database URL, not both`);
  }
  const linkTtlSeconds = options.linkTtlSeconds ?? 600;
  if (!Number.isInteger(linkTtlSeconds) || linkTtlSeconds <= 0) {
    throw new ConfigError(`${PREFIX} linkTtlSeconds must be a positive integer`);
  }
  const logger = options.logger ?? createJsonLogger();
  const clock = options.clock ?? systemClock;
  const demo = options.demo === true;
  const issuer = await createDevIssuer({ issuer: 'https://dev.countersign.invalid' });
  // Agents get tokens from an issuer of their own: no token is both an agent's and a person's.
  const agents = await createDevIssuer({
    issuer: 'https://dev-agents.countersign.invalid',
    audience: 'countersign-agents',
  });
  let server: Awaited<ReturnType<typeof createApprovalServer>>;
  try {
    server = await createApprovalServer(
      {
        port: options.port ?? 8080,
        host,
        database:
          options.databaseUrl === undefined
            ? undefined
            : { url: options.databaseUrl, schema: options.schema },
        policy: [...(options.policy ?? []), ...(demo ? [demoRule(identity)] : []), devAgentRule(identity)],
        directory: { [identity]: {}, ...options.directory },
        // The token's subject is the whole identity: `--as user:alice` signs in as `user:alice`.
        oidc: {
          issuer: issuer.issuer,
          audience: issuer.audience,
          jwksUrl: issuer.jwksUrl,
          identityPrefix: '',
        },
        inbox: true,
        agents: {
          issuers: [
            {
              issuer: agents.issuer,
              audience: agents.audience,
              jwksUrl: agents.jwksUrl,
              actor: 'agent:{sub}',
            },
          ],
        },
      },
      {
        store: options.store ?? (options.databaseUrl === undefined ? createMemoryStore() : undefined),
        logger,
        clock,
      },
    );
  } catch (error) {
    await issuer.close();
    await agents.close();
    throw error;
  }
  const codes = createDevSignInCodes(linkTtlSeconds * 1000, clock);

  const signIn = async (request: Request): Promise<Response> => {
    if (request.method !== 'GET') {
      return problem(405, 'method_not_allowed', `${DEV_SIGN_IN_PATH} answers GET`, {
        headers: { allow: 'GET' },
      });
    }
    const url = new URL(request.url);
    if (!codes.redeem(url.searchParams.get('code') ?? '')) {
      return problem(
        403,
        'sign_in_link_refused',
        'this sign-in link was used already, has expired, or was not issued by this server; restart countersign serve --dev for a new one',
      );
    }
    // The normal sign-in, with a short-lived token: the session it opens is the one a token gives.
    const token = await issuer.token(identity, { expiresInSeconds: 60 });
    const answer = await server.fetch(
      new Request(new URL('/inbox/sign-in', url.origin), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, next: '/inbox' }),
      }),
    );
    const response = new Response(answer.body, answer);
    response.headers.set('referrer-policy', 'no-referrer');
    return response;
  };
  const fetch = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (path !== DEV_SIGN_IN_PATH) return server.fetch(request);
    const response = await signIn(request);
    // Path only: the query holds the code.
    logger.info('request', { method: request.method, path, status: response.status });
    return response;
  };

  let listening: Listening;
  try {
    listening = await listen(fetch, { port: options.port ?? 8080, hostname: host });
  } catch (error) {
    await server.close();
    await issuer.close();
    await agents.close();
    throw error;
  }
  const url = listening.url;
  logger.warn('development mode: not for production; anyone with a printed sign-in link is this identity', {
    url,
    identity,
    store: options.store !== undefined ? 'given' : options.databaseUrl === undefined ? 'memory' : 'postgres',
  });
  let demoRequestUrl: string | null = null;
  if (demo) {
    const opened = await server.countersign.open(
      { name: 'demo.deploy', resource: 'staging/web', params: { version: '1.4.2' } },
      { actor: DEMO_ACTOR, reason: 'A sample request from development mode', sessionId: 'dev-demo' },
    );
    if (opened.status === 'pending') demoRequestUrl = `${url}/inbox/requests/${opened.requestId}`;
  }
  return {
    url,
    identity,
    countersign: server.countersign,
    demoRequestUrl,
    signInLink: () => `${url}${DEV_SIGN_IN_PATH}?code=${codes.issue()}`,
    agentToken(name = 'dev') {
      if (!AGENT_NAME.test(name)) {
        return Promise.reject(new ConfigError(`${PREFIX} an agent name is 1-64 of a-z, 0-9, '.', '_', '-'`));
      }
      return agents.token(name, { expiresInSeconds: 12 * 3600 });
    },
    async close() {
      const draining = listening.close(2000);
      await server.close();
      await draining;
      await issuer.close();
      await agents.close();
    },
  };
}

function demoRule(identity: string): PolicyRule {
  return {
    id: 'dev-demo',
    match: { action: 'demo.deploy' },
    effect: 'require_approval',
    approvers: { users: [identity] },
    requestTtl: '1h',
  };
}

/** After the given policy: whatever a development agent asks, `identity` approves. */
function devAgentRule(identity: string): PolicyRule {
  return {
    id: 'dev-agents',
    match: { actor: `${DEV_AGENT}*` },
    effect: 'require_approval',
    approvers: { users: [identity] },
    requestTtl: '1h',
    grantTtl: '15m',
    description: 'development mode: every call from a development agent token asks you',
  };
}
