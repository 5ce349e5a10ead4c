import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs a server tool with no pipes: a postmaster started by pg_ctl inherits its stdio, and a
 * pipe it holds open would keep us waiting for as long as the server runs.
 */
function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
    });
  });
}

/** The PostgreSQL server binaries, or null when this machine has none (the restart test then skips). */
export function findPgBin(): string | null {
  const configured = process.env.COUNTERSIGN_PG_BIN;
  if (configured) return existsSync(join(configured, 'initdb')) ? configured : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

export interface TempCluster {
  url: string;
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A throwaway PostgreSQL server in a temp directory, so restarting it (or filling it, with
 * `settings` such as `max_connections`) cannot disturb the shared server other tests (and other
 * people) use. As root, the server runs as the `postgres` user.
 */
export async function startTempCluster(
  bin: string,
  settings: Record<string, string | number> = {},
): Promise<TempCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-pg-cluster-'));
  const asRoot = process.getuid?.() === 0;
  const pgUser = async (tool: string, args: string[]) => {
    const command = asRoot ? 'runuser' : join(bin, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args;
    await run(command, argv);
  };
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), 0);
  const data = join(dir, 'data');
  const port = await freePort();
  const ctl = (...args: string[]) => pgUser('pg_ctl', ['-D', data, '-w', '-t', '30', ...args]);
  const extra = Object.entries(settings).map(([name, value]) => ` -c ${name}=${value}`);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off${extra.join('')}`;
  const log = join(dir, 'log');
  let started = false;
  const destroy = async () => {
    if (started) await ctl('-m', 'immediate', 'stop').catch(() => {});
    started = false;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pgUser('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await ctl('-o', options, '-l', log, 'start');
    started = true;
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => ctl('-m', 'fast', '-o', options, '-l', log, 'restart'),
    destroy,
  };
}
