// Runs `countersign exec` as a child process (from the sources), to send it signals and read what it said.
import { type ChildProcess, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execCommand } from '../src/commands/exec.js';
import { CliError } from '../src/index.js';

const TSX = pathToFileURL(
  fileURLToPath(new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url)),
).href;
const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

export interface ExecEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** An exec under way, in a child process or in this one. */
export interface ExecRunning {
  /** Resolves once stderr or stdout (whichever `where` says) matches `pattern`. */
  until(pattern: RegExp, where?: 'stderr' | 'stdout'): Promise<void>;
  done: Promise<ExecEnd>;
  /** What it printed so far. */
  output(): { stdout: string; stderr: string };
}

export interface ExecProcess extends ExecRunning {
  child: ChildProcess;
}

/** Node itself, as the command exec guards: `node -e <script>`. */
export const node = (script: string) => [process.execPath, '-e', script];

export function startExec(args: readonly string[], env: Record<string, string>, cwd: string): ExecProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@countersign/source', '--import', TSX, BIN, 'exec', ...args],
    {
      cwd,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const out = { stdout: '', stderr: '' };
  const watchers = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    out.stdout += chunk.toString('utf8');
    for (const watcher of watchers) watcher();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    out.stderr += chunk.toString('utf8');
    for (const watcher of watchers) watcher();
  });
  const done = new Promise<ExecEnd>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const watcher of watchers) watcher();
      resolve({ code, signal, ...out });
    });
  });
  return {
    child,
    done,
    output: () => ({ ...out }),
    until(pattern, where = 'stderr') {
      return new Promise((resolve, reject) => {
        const look = () => {
          if (pattern.test(out[where])) {
            watchers.delete(look);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            watchers.delete(look);
            reject(new Error(`exec ended before ${pattern} on ${where}:\n${out.stderr}`));
          }
        };
        watchers.add(look);
        look();
      });
    },
  };
}

/**
 * The same, in this process (no Node to start, no TypeScript to compile): for every case that sends
 * no signal. The command's own output goes to this process's stdout.
 */
export function startInProcess(
  args: readonly string[],
  env: Record<string, string>,
  cwd: string,
): ExecRunning {
  const out = { stdout: '', stderr: '' };
  const watchers = new Set<() => void>();
  const sink = (key: 'stdout' | 'stderr') => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => {
      out[key] += chunk.toString('utf8');
      for (const watcher of watchers) watcher();
    });
    return stream;
  };
  let ended = false;
  const done = execCommand(
    args,
    { stdout: sink('stdout'), stderr: sink('stderr') },
    {
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      cwd,
    },
  )
    .catch((error: unknown) => {
      if (!(error instanceof CliError)) throw error;
      out.stderr += `countersign: ${error.message}\n`;
      return error.exitCode as number;
    })
    .then((code) => {
      ended = true;
      for (const watcher of watchers) watcher();
      return { code, signal: null, ...out };
    });
  return {
    done,
    output: () => ({ ...out }),
    until(pattern, where = 'stderr') {
      return new Promise((resolve, reject) => {
        const look = () => {
          if (pattern.test(out[where])) {
            watchers.delete(look);
            resolve();
          } else if (ended) {
            watchers.delete(look);
            reject(new Error(`exec ended before ${pattern} on ${where}:\n${out.stderr}`));
          }
        };
        watchers.add(look);
        look();
      });
    },
  };
}
