// The exit codes of the countersign command, one meaning each.
export const ExitCode = {
  /** Everything checked holds, or the command did what it was asked. */
  Ok: 0,
  /** Verification failed: the chain or a checkpoint does not hold (for `audit show`, the chain shown is broken). */
  Failed: 1,
  /** Usage error: unknown command or flag, a missing or malformed argument. */
  Usage: 2,
  /** Input error: a file cannot be read, is not UTF-8, or is not what it should be, or the store cannot be reached. */
  Input: 3,
  /**
   * stdout was closed by its reader (`… | head`): the command stopped, quietly. 141 is 128 + SIGPIPE,
   * what a shell reports for a command a closed pipe ended (`yes | head` under `set -o pipefail`).
   */
  OutputClosed: 141,
  // `countersign exec` passes the command's own exit code through (128 + n when a signal ended it;
  // 126 or 127 when it could not be started, as env(1) does). Its own outcomes use sysexits-like
  // codes that common commands do not, so a script can tell "not allowed" from "the command failed".
  /** exec: the command was found but cannot be executed (as env(1) and shells say). Nothing was asked. */
  ExecNotExecutable: 126,
  /** exec: the command was not found (as env(1) and shells say). Nothing was asked. */
  ExecNotFound: 127,
  /** exec: usage error (unknown flag, missing --action or command). Nothing was asked, nothing ran. */
  ExecUsage: 64,
  /** exec: the request expired undecided, or the approval expired unclaimed. The command did not run. */
  ExecExpired: 65,
  /** exec: cancelled (Ctrl-C or SIGTERM while waiting, or by someone else). The command did not run. */
  ExecCancelled: 66,
  /** exec: the approval server refused the workload's identity (no token, 401, 403). The command did not run. */
  ExecUnauthenticated: 67,
  /** exec: the approval server or the store cannot be reached or is unavailable. The command did not run. */
  ExecUnavailable: 69,
  /** exec: an unexpected internal error. The command did not run. */
  ExecInternal: 70,
  /** exec: still pending when exec stopped waiting (--wait, --on-abort detach, 429): re-run to re-attach. */
  ExecPending: 75,
  /** exec: the server answered something that is not the agent API. The command did not run. */
  ExecProtocol: 76,
  /** exec: denied, by policy or by an approver, or already run under this approval. The command did not run. */
  ExecDenied: 77,
  /** exec: the --config file or the environment is not a usable configuration. The command did not run. */
  ExecConfig: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the command reports on stderr and exits with. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string) => new CliError(ExitCode.Usage, message);
export const inputError = (message: string) => new CliError(ExitCode.Input, message);
