// Runs the approved command with the grant's environment and reports how it ended.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { ExitCode } from '../exit-codes.js';
import type { ExecCall } from './exec-call.js';
import { commandEnv } from './exec-env.js';
import type { ExecSignals } from './exec-signals.js';

export interface CommandEnd {
  /** What exec exits with: the command's code, 128 + n for a signal, 126 or 127 if it never started. */
  exitCode: number;
  /** The outcome to record. */
  status: 'executed' | 'failed';
  /** `exit status N`, `signal SIGTERM` or `could not start: ENOENT`. */
  detail: string;
}

export interface Granted {
  token: string;
  credentials: Readonly<Record<string, string>> | null;
}

export function runCommand(
  call: ExecCall,
  grant: Granted,
  env: Readonly<Record<string, string | undefined>>,
  signals: ExecSignals,
): Promise<CommandEnd> {
  return new Promise((resolve) => {
    const child = spawn(call.path, call.argv.slice(1), {
      argv0: call.argv[0],
      cwd: call.cwd,
      env: commandEnv(env, grant.token, grant.credentials),
      stdio: 'inherit',
    });
    signals.running((signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      // Only a failed start: once it runs, how it ends comes through 'exit'.
      if (child.pid !== undefined) return;
      const exitCode = error.code === 'ENOENT' ? ExitCode.ExecNotFound : ExitCode.ExecNotExecutable;
      resolve({ exitCode, status: 'failed', detail: `could not start: ${error.code ?? error.message}` });
    });
    child.once('exit', (code, signal) => {
      if (code !== null) {
        resolve({
          exitCode: code,
          status: code === 0 ? 'executed' : 'failed',
          detail: `exit status ${code}`,
        });
        return;
      }
      const number = signal === null ? undefined : constants.signals[signal];
      resolve({ exitCode: 128 + (number ?? 0), status: 'failed', detail: `signal ${signal ?? 'unknown'}` });
    });
  });
}
