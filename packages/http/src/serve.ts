// `countersign serve`: runs the approval server from a config file and the environment until a signal.
import { isCountersignError } from '@countersign/core';
import { createApprovalServer } from './approval-server.js';
import { createJsonLogger, type Logger } from './logger.js';
import { serveDev } from './serve-dev.js';
import { type ApprovalServerConfig, applyEnv, CONFIG_ENV, loadConfigFile } from './server-config.js';

const USAGE = `usage: countersign serve [--config <file.json>]
       countersign serve --dev [...]   (development: one-click sign-in on 127.0.0.1; --dev --help)

Runs the approval server: decision API, web inbox, webhooks and Slack clicks over PostgreSQL.
Environment variables override the file: ${Object.keys(CONFIG_ENV).join(', ')}.
`;

export interface ServeIo {
  env?: Record<string, string | undefined> | undefined;
  stdout?: ((text: string) => void) | undefined;
  logger?: Logger | undefined;
  /** Resolves when the server should stop. Default: the first SIGTERM or SIGINT. */
  stopped?: Promise<void> | undefined;
  /** Called once the server listens, with its URL. */
  onListening?: ((url: string) => void) | undefined;
}

/** Exit codes: 0 stopped cleanly, 1 failed while running, 2 usage, 3 configuration or store unreachable. */
export async function serve(argv: string[], io: ServeIo = {}): Promise<number> {
  const stdout = io.stdout ?? ((text: string) => process.stdout.write(text));
  const logger = io.logger ?? createJsonLogger();
  const stopped = () =>
    io.stopped ??
    new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
  if (argv.includes('--dev')) {
    return serveDev(
      argv.filter((arg) => arg !== '--dev'),
      { stdout, logger, stopped, onListening: io.onListening },
    );
  }
  let configPath: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      stdout(USAGE);
      return 0;
    }
    if (arg === '--config' && argv[i + 1] !== undefined) {
      configPath = argv[++i] as string;
    } else if (arg.startsWith('--config=')) {
      configPath = arg.slice('--config='.length);
    } else {
      logger.error(`unknown or incomplete argument "${arg}"`, {});
      stdout(USAGE);
      return 2;
    }
  }
  let server: Awaited<ReturnType<typeof createApprovalServer>>;
  try {
    const file: ApprovalServerConfig = configPath === null ? {} : await loadConfigFile(configPath);
    server = await createApprovalServer(applyEnv(file, io.env ?? process.env), { logger });
  } catch (error) {
    logger.error(isCountersignError(error) ? error.message : `could not start: ${(error as Error).message}`);
    return 3;
  }
  try {
    const url = await server.listen();
    io.onListening?.(url);
  } catch (error) {
    logger.error('could not listen', { error });
    await server.close();
    return 3;
  }
  await stopped();
  try {
    await server.close();
    return 0;
  } catch (error) {
    logger.error('shutdown failed', { error });
    return 1;
  }
}
