// Child processes of case 6 (agents, the approval server, a LISTENer), on this Node, speaking JSON lines.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildEvent {
  event: string;
  id?: string;
  /** CLOCK_MONOTONIC nanoseconds, as a decimal string. */
  at?: string;
  sent?: string;
  cpu?: number;
  waitedMs?: number[];
  error?: string;
}

/** A child on this process's own Node binary, running the built packages (no source condition). */
export function child(
  script: string,
  config: Record<string, unknown>,
  onEvent: (event: ChildEvent) => void,
  /** Another build's `postgres-store/dist/index.js` for the child to load (see `loadStore`). */
  store?: string | undefined,
  args: readonly string[] = [],
): { process: ChildProcess; exited: Promise<void> } {
  const env = { ...process.env };
  if (store === undefined) delete env.BENCH_PG_STORE;
  else env.BENCH_PG_STORE = store;
  const proc = spawn(
    process.execPath,
    // BENCH_CHILD_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=results/profiles`, profiles every child.
    [...childNodeArgs(), '--import', 'tsx', `src/${script}`, JSON.stringify(config), ...args],
    {
      cwd: BENCH_DIR,
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  createInterface({ input: proc.stdout! }).on('line', (line) => onEvent(JSON.parse(line) as ChildEvent));
  const exited = new Promise<void>((resolve, reject) =>
    proc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}`)))),
  );
  return { process: proc, exited };
}

function childNodeArgs(): string[] {
  return (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
}

/** Nanoseconds between two CLOCK_MONOTONIC readings taken in any processes on this host. */
export const between = (from: string, to: string): number => Number(BigInt(to) - BigInt(from));
