// A TypeScript entry point of this package run as its own Node process (tsx's loader, sources by condition), spoken to in JSON lines.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
/** tsx's loader inside the child's own Node process, so that a signal sent to the child reaches the program. */
const TSX_LOADER = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

export interface Child {
  process: ChildProcessWithoutNullStreams;
  /** Resolves with the first line the child wrote (or writes) to stdout that satisfies `match`. */
  nextLine(match: (line: string) => boolean): Promise<string>;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves once stderr matches `pattern`, with the match. */
  stderrMatch(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the child has exited. */
  exited: Promise<number | null>;
}

const started: ChildProcessWithoutNullStreams[] = [];

/** Starts `entry` (a path in this package) with `args`; stdin stays open until the test ends it. */
export function startChild(entry: string, args: string[] = [], env: Record<string, string> = {}): Child {
  const child = spawn(
    process.execPath,
    ['--import', TSX_LOADER, '--conditions=@countersign/source', entry, ...args],
    { cwd: PACKAGE, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  started.push(child);
  const lines: string[] = [];
  const watchers: (() => void)[] = [];
  const notify = () => {
    for (const watcher of watchers.splice(0)) watcher();
  };
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    for (let end = partial.indexOf('\n'); end !== -1; end = partial.indexOf('\n')) {
      lines.push(partial.slice(0, end));
      partial = partial.slice(end + 1);
    }
    notify();
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    notify();
  });
  const until = <T>(found: () => T | undefined): Promise<T> =>
    new Promise((resolve) => {
      const look = () => {
        const value = found();
        if (value !== undefined) resolve(value);
        else watchers.push(look);
      };
      look();
    });
  return {
    process: child,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    nextLine: (match) => until(() => lines.find(match)),
    stderr: () => stderr,
    stderrMatch: (pattern) => until(() => stderr.match(pattern) ?? undefined),
  };
}

/** Kills every child a test started that is still running: a failed test must leave nothing behind. */
export function killChildren(): void {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
