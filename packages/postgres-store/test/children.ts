import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

export type ChildEvent = { event: string } & Record<string, unknown>;

export interface Child {
  readonly process: ChildProcess;
  readonly events: ChildEvent[];
  /** Resolves with the first event (already seen or future) that matches. */
  waitFor(match: (event: ChildEvent) => boolean, timeoutMs?: number): Promise<ChildEvent>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

const running = new Set<ChildProcess>();

/** Runs `test/fixtures/<script>.ts` from source in a separate Node process, as a user's agent would run. */
export function spawnChild(
  script: 'agent' | 'decider' | 'slack-agent' | 'slack-approver' | 'reuse-agent' | 'appender',
  config: unknown,
): Child {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@countersign/source',
      '--import',
      'tsx',
      `test/fixtures/${script}.ts`,
      JSON.stringify(config),
    ],
    { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  const events: ChildEvent[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  let errors = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim()) events.push(JSON.parse(line) as ChildEvent);
      newline = buffer.indexOf('\n');
    }
    for (const waiter of waiters) waiter();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    errors += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
      for (const waiter of waiters) waiter();
    });
  });
  return {
    process: child,
    events,
    exited,
    stderr: () => errors,
    waitFor(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(
              new Error(
                `${script} exited (${child.exitCode ?? child.signalCode}) before the expected event; events: ${JSON.stringify(events)}\nstderr:\n${errors}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `timed out waiting for ${script}; events: ${JSON.stringify(events)}\nstderr:\n${errors}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Kills every child still running; call from afterEach so a failed test leaves no orphans. */
export function killChildren(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
