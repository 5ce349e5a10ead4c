// The countersign command: finds the command in argv, runs it, and turns failures into exit codes.

import { explainCommand, explainHelp } from './commands/explain.js';
import { exportCommand, exportHelp } from './commands/export.js';
import { defaultHookDeps, hookCommand, hookHelp } from './commands/hook.js';
import { type HttpLoader, loadHttp, serveCommand } from './commands/serve.js';
import { showCommand, showHelp } from './commands/show.js';
import { verifyCommand, verifyHelp } from './commands/verify.js';
import { didYouMean } from './did-you-mean.js';
import { CliError, ExitCode, usageError } from './exit-codes.js';
import { flushed, type Io, OutputClosedError, write } from './io.js';

export const mainHelp = `Usage: countersign <command> [options]

Commands:
  audit verify <log.jsonl>   verify an exported audit log, and signed checkpoints against it
  audit show <log.jsonl>     print the log, or one request, as a readable timeline
  audit export --store <url> write a PostgreSQL store's audit log as JSON lines or OCSF
  explain --policy <file>    show what cs.explain() decides for a call (--params for conditions), and why
  exec --action <name> -- <command> [args...]
                             run a command only once it is approved (through --server, or in process
                             with --config), with the grant's token and credentials in its environment
  serve [options]            run the approval HTTP server from @countersign/http
  serve --dev                a local approval server on 127.0.0.1: prints a one-click sign-in link
  hook claude-code           Claude Code's PreToolUse hook: asks the approval server, answers allow or deny

Run 'countersign <command> --help' for a command's options.

Exit codes: 0 ok, 1 verification failed, 2 usage error, 3 unreadable input (or not UTF-8) or store,
141 stdout closed by its reader (as with '| head'; nothing is printed).
exec exits with the command's own code, or, when the command did not run, with 64 usage, 65 expired,
66 cancelled, 67 identity refused, 69 server or store unavailable, 70 internal error, 75 still pending,
76 not an agent API answer, 77 denied, 78 configuration, 126/127 command not executable/not found.

The audit log format: docs/audit-format.md in the countersign repository.
`;

const auditHelp = `Usage: countersign audit <verify|show|export> ...

  verify <log.jsonl> [--checkpoints <file>] [--key [<id>=]<pem>]... [--allow-pruned]
  show <log.jsonl> [--request <id>]
  export --store <postgres url> [--schema <s>] --format jsonl|ocsf

Run 'countersign audit <command> --help' for details.
`;

type Command = (argv: readonly string[], io: Io) => Promise<number>;

const AUDIT: Record<string, Command> = { verify: verifyCommand, show: showCommand, export: exportCommand };

export interface RunOptions {
  /** How `serve` loads `@countersign/http`. Default: a dynamic import. */
  loadHttp?: HttpLoader | undefined;
}

/** Runs the command line `argv` (without `node` and the script) and resolves to the exit code. */
export async function run(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
  options: RunOptions = {},
): Promise<number> {
  try {
    const code = await dispatch(argv, io, options);
    await flushed(io.stdout);
    return code;
  } catch (error) {
    if (error instanceof OutputClosedError) return ExitCode.OutputClosed;
    if (error instanceof CliError) {
      const hint =
        error.exitCode === ExitCode.Usage
          ? "\nRun 'countersign --help' for usage."
          : error.exitCode === ExitCode.ExecUsage
            ? "\nRun 'countersign exec --help' for usage."
            : '';
      await write(io.stderr, `countersign: ${error.message}${hint}\n`).catch(ignoreClosed);
      return error.exitCode;
    }
    throw error;
  }
}

/** A message nobody can read any more is dropped; the exit code still says what happened. */
function ignoreClosed(error: unknown): void {
  if (!(error instanceof OutputClosedError)) throw error;
}

async function dispatch(argv: readonly string[], io: Io, options: RunOptions): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    await write(command === undefined ? io.stderr : io.stdout, mainHelp);
    return command === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  switch (command) {
    case 'audit': {
      const [sub, ...args] = rest;
      if (sub === undefined || sub === '--help' || sub === '-h') {
        await write(sub === undefined ? io.stderr : io.stdout, auditHelp);
        return sub === undefined ? ExitCode.Usage : ExitCode.Ok;
      }
      const handler = AUDIT[sub];
      if (handler === undefined) throw unknown(`audit ${sub}`, sub, Object.keys(AUDIT), 'audit ');
      return handler(args, io);
    }
    case 'exec':
      // Loaded on use: it brings @countersign/http, which no other command but serve needs.
      return (await import('./commands/exec.js')).execCommand(rest, io);
    case 'explain':
      return explainCommand(rest, io);
    case 'serve':
      return serveCommand(rest, io, options.loadHttp ?? loadHttp);
    case 'hook':
      return hookCommand(rest, io, defaultHookDeps());
    default:
      throw unknown(command, command, ['audit', 'exec', 'explain', 'serve', 'hook'], '');
  }
}

function unknown(shown: string, word: string, known: readonly string[], prefix: string): CliError {
  const guess = didYouMean(word, known);
  return usageError(`unknown command '${shown}'${guess ? `; did you mean '${prefix}${guess}'?` : ''}`);
}

export { explainHelp, exportHelp, hookHelp, showHelp, verifyHelp };
