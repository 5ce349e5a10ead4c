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
