// @countersign/cli: the countersign command, also callable in process with run(argv).
export type { HttpLoader, ServeFunction } from './commands/serve.js';
export { CliError, ExitCode } from './exit-codes.js';
export type { Io } from './io.js';
export { type RunOptions, run } from './main.js';
