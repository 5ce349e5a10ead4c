// `countersign serve --dev`: a local approval server a person signs in to with one click.
import { isCountersignError } from '@countersign/core';
import { DEMO_ACTOR, DEV_AGENT, DEV_IDENTITY, type DevServer, startDevServer } from './dev-server.js';
import type { Logger } from './logger.js';

export const DEV_USAGE = `usage: countersign serve --dev [--port <n>] [--host <loopback>] [--as <identity>]
                            [--database-url <postgres url> [--schema <s>]]

Development mode, never for production: the approval server on 127.0.0.1 with a built-in token
issuer. It prints a one-click sign-in link (single use, 10 minutes) for --as (default ${DEV_IDENTITY}).
On the memory store (the default) it opens a sample request from ${DEMO_ACTOR} to approve; with
--database-url, agents open requests in the same PostgreSQL store. Only loopback hosts are accepted.
The environment is not read, so a production DATABASE_URL is never picked up by accident.
`;

const VALUE_FLAGS = {
  '--port': 'port',
  '--host': 'host',
  '--as': 'as',
  '--database-url': 'databaseUrl',
  '--schema': 'schema',
} as const;

export interface ServeDevIo {
  stdout: (text: string) => void;
  logger: Logger;
  /** Called once listening: resolves when the server should stop. */
  stopped: () => Promise<void>;
  onListening?: ((url: string) => void) | undefined;
  onStarted?: ((server: DevServer) => void) | undefined;
}

/** `argv` without `--dev`. Exit codes as `serve`: 0, 1, 2 usage (a non-loopback host too), 3. */
export async function serveDev(argv: string[], io: ServeDevIo): Promise<number> {
  const values: Partial<Record<(typeof VALUE_FLAGS)[keyof typeof VALUE_FLAGS], string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      io.stdout(DEV_USAGE);
      return 0;
    }
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const key = VALUE_FLAGS[flag as keyof typeof VALUE_FLAGS];
    const value = inline ?? argv[i + 1];
    if (key === undefined || value === undefined || values[key] !== undefined) {
      io.logger.error(`unknown, repeated or incomplete argument "${flag}" with --dev`);
      io.stdout(DEV_USAGE);
      return 2;
    }
    values[key] = value;
    if (inline === undefined) i++;
  }
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    io.logger.error('--port must be an integer from 0 to 65535');
    return 2;
  }
  let server: DevServer;
  try {
    server = await startDevServer({
      port,
      host: values.host,
      as: values.as,
      databaseUrl: values.databaseUrl,
      schema: values.schema,
      demo: values.databaseUrl === undefined,
      logger: io.logger,
    });
  } catch (error) {
    const message = isCountersignError(error)
      ? error.message
      : `could not start: ${(error as Error).message}`;
    io.logger.error(message);
    return isCountersignError(error) && error.code === 'invalid_config' ? 2 : 3;
  }
  const agentToken = await server.agentToken();
  io.onListening?.(server.url);
  io.onStarted?.(server);
  io.stdout(banner(server, values.databaseUrl !== undefined, agentToken));
  await io.stopped();
  try {
    await server.close();
    return 0;
  } catch (error) {
    io.logger.error('shutdown failed', { error });
    return 1;
  }
}

function banner(server: DevServer, shared: boolean, agentToken: string): string {
  const lines = [
    '',
    'countersign DEVELOPMENT MODE: not for production.',
    `  sign in as ${server.identity} (one click, works once, for 10 minutes):`,
    `    ${server.signInLink()}`,
    `  inbox: ${server.url}/inbox`,
  ];
  if (server.demoRequestUrl !== null)
    lines.push(`  a sample request from ${DEMO_ACTOR}: ${server.demoRequestUrl}`);
  lines.push(
    shared
      ? `  agents: open requests in the same PostgreSQL store and schema, with ${server.identity} among the approvers`
      : '  the memory store lives in this process: agents reach it through the agent API below (--database-url shares a store with agents that open requests themselves)',
    `  agents in any process or language (countersign exec, hooks, clients/python) ask as ${DEV_AGENT}:`,
    `    export COUNTERSIGN_SERVER=${server.url} COUNTERSIGN_TOKEN=${agentToken}`,
    '  stop: Ctrl+C',
    '',
  );
  return lines.join('\n');
}
