// Builds a running proxy from its config file: store, transports, Slack listener, countersign, relay.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import {
  ConfigError,
  type CountersignOptions,
  createCountersign,
  type Duration,
  type PolicyRule,
  type Store,
  type Transport,
} from '@countersign/core';
import { type McpProxy, type McpProxyOptions, startMcpProxy } from './proxy.js';
import type { ProxyConfig } from './proxy-config.js';

export interface ProxyIo {
  input?: Readable | undefined;
  output?: Writable | undefined;
  log?: ((message: string) => void) | undefined;
  /** Where `…Env` settings are read from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface RunningProxy extends McpProxy {
  /** The address of each Slack listener, in config order (useful with port 0). */
  readonly listening: readonly { port: number; host: string }[];
}

interface MemoryModule {
  createMemoryStore(): Store;
}

interface PostgresModule {
  createPostgresStore(options: { connectionString: string; schema?: string | undefined }): Store & {
    migrate(): Promise<void>;
  };
}

interface SlackModule {
  createSlackTransport(options: {
    token: string;
    signingSecret: string;
    channel: string;
    teamId: string;
    slackApiUrl?: string | undefined;
    logger: { warn(message: string): void; error(message: string): void };
  }): Transport & { readonly nodeHandler: (req: IncomingMessage, res: ServerResponse) => void };
}

/** Starts everything the config describes; on any failure, stops what it started and throws. */
export async function runProxyFromConfig(config: ProxyConfig, io: ProxyIo = {}): Promise<RunningProxy> {
  const env = io.env ?? process.env;
  const log = io.log ?? ((message: string) => process.stderr.write(`[countersign-mcp-proxy] ${message}\n`));
  const secret = (name: string, what: string) => {
    const value = env[name];
    if (value === undefined || value === '') {
      throw new ConfigError(`[mcp] ${what} is read from the environment variable ${name}, which is not set`);
    }
    return value;
  };

  const store = await openStore(config, secret);
  const listeners: Server[] = [];
  const listening: { port: number; host: string }[] = [];
  try {
    const transports: Transport[] = [];
    for (const spec of config.transports ?? []) {
      const token = secret(spec.tokenEnv, 'the Slack bot token');
      const signingSecret = secret(spec.signingSecretEnv, 'the Slack signing secret');
      const slack = await importOptional<SlackModule>('@countersign/slack-transport', 'a Slack transport');
      const transport = slack.createSlackTransport({
        token,
        signingSecret,
        channel: spec.channel,
        teamId: spec.teamId,
        slackApiUrl: spec.slackApiUrl,
        // Never console.log: standard output is the MCP stream.
        logger: { warn: log, error: log },
      });
      transports.push(transport);
      const server = createServer(transport.nodeHandler);
      listeners.push(server);
      const host = spec.listen.host ?? '127.0.0.1';
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(spec.listen.port, host, () => resolve());
      });
      const address = server.address();
      listening.push({
        port: typeof address === 'object' && address ? address.port : spec.listen.port,
        host,
      });
    }

    const options: CountersignOptions = {
      store,
      transports,
      policy: config.policy as unknown as PolicyRule[],
      directory: config.directory as CountersignOptions['directory'],
      defaultEffect: config.defaultEffect,
      redact: config.redact,
      requestTtl: config.requestTtl as Duration | undefined,
      grantTtl: config.grantTtl as Duration | undefined,
    };
    const cs = createCountersign(options);
    const proxy = startMcpProxy({
      countersign: cs,
      upstream: upstreamOf(config.server, secret),
      serverName: config.server.name,
      actor: config.actor,
      onBehalfOf: config.onBehalfOf,
      tools: config.tools,
      reason: config.reason,
      reasonArgument: config.reasonArgument,
      progressIntervalMs: config.progressIntervalMs,
      onAbort: config.onAbort,
      answerWithinMs: config.answerWithinMs,
      input: io.input,
      output: io.output,
      log,
    });
    let closing: Promise<void> | null = null;
    const shutDown = () => {
      closing ??= (async () => {
        await proxy.close();
        await Promise.all(listeners.map(closeServer));
        await cs.close();
      })();
      return closing;
    };
    const done = proxy.done.then(async (code) => {
      await shutDown();
      return code;
    });
    return { done, listening, close: shutDown };
  } catch (error) {
    await Promise.all(listeners.map(closeServer));
    await store.close();
    throw error;
  }
}

/** Stops listening; idle keep-alive connections (Slack's) would otherwise hold the process open. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

function upstreamOf(
  server: ProxyConfig['server'],
  secret: (name: string, what: string) => string,
): McpProxyOptions['upstream'] {
  if (server.type === 'stdio') {
    const { type: _type, name: _name, ...stdio } = server;
    return stdio;
  }
  const headers: Record<string, string> = {};
  for (const [header, variable] of Object.entries(server.headersEnv ?? {})) {
    headers[header] = secret(variable, `the upstream header ${header}`);
  }
  return { url: server.url, headers };
}

async function openStore(
  config: ProxyConfig,
  secret: (name: string, what: string) => string,
): Promise<Store> {
  const spec = config.store ?? { type: 'memory' };
  if (spec.type === 'memory') {
    const memory = await importOptional<MemoryModule>('@countersign/memory-store', 'the memory store');
    return memory.createMemoryStore();
  }
  const postgres = await importOptional<PostgresModule>('@countersign/postgres-store', 'a postgres store');
  const store = postgres.createPostgresStore({
    connectionString: secret(spec.urlEnv, 'the PostgreSQL connection string'),
    schema: spec.schema,
  });
  await store.migrate();
  return store;
}

/** Stores and transports are peers of the proxy, installed next to it: only the ones a config names load. */
async function importOptional<T>(specifier: string, what: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    throw new ConfigError(
      `[mcp] the config asks for ${what}, which needs ${specifier}: install it next to @countersign/mcp`,
      {
        cause: error,
      },
    );
  }
}
