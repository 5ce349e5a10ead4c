// countersign hook claude-code: Claude Code's PreToolUse (and PostToolUse) hook, asking countersign.
import { writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { type CommandSpec, type ParsedArgs, parseArgs, single } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import { connectAgentApi } from '../hook/agent-connect.js';
import { defaultStateDir, removeCallState } from '../hook/call-state.js';
import { explainFailure, type HookCall, type HookClient } from '../hook/hook-client.js';
import { type HookConfig, HookConfigError, parseHookConfig, seconds } from '../hook/hook-config.js';
import { parseHookInput, type ToolHookInput } from '../hook/hook-input.js';
import { recordPostToolUse } from '../hook/post-tool-use.js';
import { decidePreToolUse, type PreToolUseDecision, timeoutReason } from '../hook/pre-tool-use.js';
import { mapToolCall } from '../hook/tool-mapping.js';
import { type Io, write } from '../io.js';

export const hookSpec: CommandSpec = {
  name: 'hook claude-code',
  flags: {
    config: { value: true },
    server: { value: true },
    'timeout-seconds': { value: true },
    post: { value: false },
  },
  positionals: ['agent'],
};

/** The hook's own limit unless configured: below the `timeout` settings.json gives it (README). */
export const DEFAULT_TIMEOUT_SECONDS = 240;
/** Claude Code's hook input is small; a larger stdin is not a hook payload. */
const MAX_INPUT_BYTES = 16 * 1024 * 1024;

export const hookHelp = `Usage: countersign hook claude-code [--config <file>] [--server <url>] [--timeout-seconds <n>] [--post]

Claude Code's PreToolUse hook: reads the hook input on stdin, maps the tool call to a countersign
action by the rules in <file> (default: $CLAUDE_PROJECT_DIR/.claude/countersign.json), opens it
through the approval server's agent API (session = session_id, idempotency key = tool_use_id),
waits for the decision, claims the grant and prints one JSON decision on stdout: "allow" once
the grant is claimed, "deny" with a reason on a denial, a timeout, an unreachable server, a
refused token, malformed input or any other error. A tool call no rule maps: nothing printed.

With --post, it is the PostToolUse / PostToolUseFailure hook instead: it records the outcome of a
call it allowed (executed, or failed with Claude Code's error). Prints nothing on stdout.

Options:
  --config <file>          the mapping file (README: "countersign hook claude-code")
  --server <url>           the approval server (else the file's "server", else COUNTERSIGN_SERVER)
  --timeout-seconds <n>    answer within n seconds (default: the file's "timeoutSeconds", else
                           ${DEFAULT_TIMEOUT_SECONDS}). Claude Code does not pass its own timeout in: set the
                           hook's "timeout" in settings.json at least 30 s above n, or a slow
                           answer is killed and the call proceeds (a timed-out hook fails open)
  --post                   record outcomes (PostToolUse, PostToolUseFailure)
  -h, --help               show this help

Exit code 0 with a decision on stdout; 2 with a message on stderr (which blocks the call) only
when the agent named is not one it knows; with --post, 1 when the outcome could not be recorded.
`;

/** What the hook reads and reaches; injectable so tests stand in for stdin, the server and time. */
export interface HookDeps {
  stdin: Readable;
  env: Readonly<Record<string, string | undefined>>;
  /** The agent API client for a server (`audience`: the config's, for GitHub Actions tokens). */
  connect: (server: string, audience: string | null) => HookClient;
  /** Resolves after `ms`, or rejects once `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * Installs a last resort for an error no promise caught (which would crash the process, and a
   * crashed hook fails open): `answer` gives the deny to print, or null once one was printed.
   * Returns the uninstaller.
   */
  onCrash?: ((answer: (error: unknown) => string | null) => () => void) | undefined;
}

export async function hookCommand(argv: readonly string[], io: Io, deps: HookDeps): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    await write(io.stdout, hookHelp);
    return ExitCode.Ok;
  }
  if (argv[0] !== 'claude-code') {
    throw usageError(`'hook' supports one agent, claude-code, not ${JSON.stringify(argv[0] ?? '')}`);
  }
  const post = argv.includes('--post');
  return post ? postCommand(argv, io, deps) : preCommand(argv, io, deps);
}

async function preCommand(argv: readonly string[], io: Io, deps: HookDeps): Promise<number> {
  const started = Date.now();
  const controller = new AbortController();
  const seen: { call: HookCall | null } = { call: null };
  let limit = DEFAULT_TIMEOUT_SECONDS;
  let server = '(not configured)';
  let input: ToolHookInput | null = null;
  let stateDir = defaultStateDir();
  const decide = async (): Promise<PreToolUseDecision> => {
    const setup = await loadSetup(argv, deps);
    limit = setup.timeoutSeconds;
    stateDir = setup.stateDir;
    const budget = limit * 1000 - (Date.now() - started);
    const work = (async () => {
      input = parseHookInput(await readInput(deps.stdin, controller.signal));
      if (input.event !== 'PreToolUse') {
        throw new HookConfigError(
          `this is the PreToolUse hook but got ${input.event}; install --post for that event`,
        );
      }
      // Only a mapped call needs the server: an unmapped one gets no opinion without one.
      if (mapToolCall(setup.config.rules, input) === null) return null;
      if (setup.server === null) {
        throw new HookConfigError(
          'no approval server: pass --server, set "server" in the config or COUNTERSIGN_SERVER',
        );
      }
      server = setup.server;
      return decidePreToolUse(input, {
        config: setup.config,
        server,
        client: deps.connect(server, setup.config.audience),
        stateDir,
        signal: controller.signal,
        seen,
      });
    })();
    const first = await beforeDeadline(work, budget, deps, controller.signal);
    if (first === TIMED_OUT) return { decision: 'deny', reason: timeoutReason(limit, seen.call) };
    return first;
  };
  let answered = false;
  const uninstall = deps.onCrash?.((error) => {
    if (answered) return null;
    answered = true;
    return JSON.stringify(hookOutput({ decision: 'deny', reason: reasonFor(error, server) }));
  });
  let decision: PreToolUseDecision;
  try {
    decision = await decide();
  } catch (error) {
    decision = { decision: 'deny', reason: reasonFor(error, server) };
  } finally {
    controller.abort();
  }
  if (decision !== null && decision.decision === 'deny' && input !== null) {
    const { sessionId, toolUseId } = input as ToolHookInput;
    await removeCallState(stateDir, sessionId, toolUseId).catch(() => undefined);
  }
  try {
    if (!answered && decision !== null) {
      answered = true;
      await write(io.stdout, `${JSON.stringify(hookOutput(decision))}\n`);
      // stdout carries the decision; stderr is only for people, so its failure changes nothing.
      await write(io.stderr, `${decision.reason}\n`).catch(() => undefined);
    }
    answered = true;
  } finally {
    uninstall?.();
  }
  return ExitCode.Ok;
}

const TIMED_OUT = Symbol('timed out');

/**
 * `work`'s result, or TIMED_OUT once `ms` have passed. Whichever loses is silenced: the loser
 * rejects when the signal aborts, and an unhandled rejection would crash the process (fail open).
 */
async function beforeDeadline<T>(
  work: Promise<T>,
  ms: number,
  deps: HookDeps,
  signal: AbortSignal,
): Promise<T | typeof TIMED_OUT> {
  const deadline = deps.sleep(Math.max(ms, 0), signal).then((): typeof TIMED_OUT => TIMED_OUT);
  deadline.catch(() => undefined);
  work.catch(() => undefined);
  return Promise.race([deadline, work]);
}

/** Exactly the documented shape; never `updatedInput`, which would run something nobody approved. */
export function hookOutput(decision: { decision: 'allow' | 'deny'; reason: string }): unknown {
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: decision.decision,
      permissionDecisionReason: decision.reason,
    },
  };
}

function reasonFor(error: unknown, server: string): string {
  if (error instanceof HookConfigError) {
    return `countersign: the hook is misconfigured (${error.message}); ask the user to fix it. The tool call was not run.`;
  }
  if (error instanceof Error && error.name === 'HookInputError') {
    return `countersign: the hook could not read this tool call (${error.message}). The tool call was not run.`;
  }
  return explainFailure(error, server);
}

async function postCommand(argv: readonly string[], io: Io, deps: HookDeps): Promise<number> {
  const controller = new AbortController();
  try {
    const setup = await loadSetup(argv, deps);
    if (setup.config.outcome !== 'post-tool-use') return ExitCode.Ok;
    const work = (async () => {
      const input = parseHookInput(await readInput(deps.stdin, controller.signal));
      if (input.event === 'PreToolUse')
        throw new HookConfigError('--post got PreToolUse input; drop --post there');
      return recordPostToolUse(input, {
        stateDir: setup.stateDir,
        connect: (server) => deps.connect(server, setup.config.audience),
        signal: controller.signal,
      });
    })();
    const done = await beforeDeadline(work, setup.timeoutSeconds * 1000, deps, controller.signal);
    if (done === TIMED_OUT)
      throw new Error(`no answer from the approval server within ${setup.timeoutSeconds} s`);
    if (done !== null) await write(io.stderr, `${done}\n`);
    return ExitCode.Ok;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    await write(io.stderr, `countersign hook: the outcome was not recorded: ${why}\n`);
    return ExitCode.Failed;
  } finally {
    controller.abort();
  }
}

interface Setup {
  config: HookConfig;
  server: string | null;
  timeoutSeconds: number;
  stateDir: string;
}

async function loadSetup(argv: readonly string[], deps: HookDeps): Promise<Setup> {
  let args: ParsedArgs;
  try {
    args = parseArgs(hookSpec, argv);
  } catch (error) {
    throw new HookConfigError((error as Error).message);
  }
  const path =
    single(args, 'config') ?? join(deps.env.CLAUDE_PROJECT_DIR ?? '.', '.claude', 'countersign.json');
  const flagTimeout = single(args, 'timeout-seconds');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new HookConfigError(`cannot read ${path} (${(error as { code?: string }).code ?? String(error)})`);
  }
  let config: HookConfig;
  try {
    config = parseHookConfig(text);
  } catch (error) {
    throw new HookConfigError(`${path}: ${(error as Error).message}`);
  }
  const timeoutSeconds =
    flagTimeout === undefined
      ? (config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS)
      : seconds(Number(flagTimeout), '--timeout-seconds');
  const server = single(args, 'server') ?? config.server ?? deps.env.COUNTERSIGN_SERVER ?? null;
  return { config, server, timeoutSeconds, stateDir: config.stateDir ?? defaultStateDir() };
}

async function readInput(stdin: Readable, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin.iterator({ destroyOnReturn: false })) {
    if (signal.aborted) break;
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_INPUT_BYTES) throw new HookConfigError(`the hook input is over ${MAX_INPUT_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The real stdin, environment, clock and agent client. */
export function defaultHookDeps(): HookDeps {
  return {
    stdin: process.stdin,
    env: process.env,
    connect: connectAgentApi(process.env),
    sleep: (ms, signal) => sleepFor(ms, undefined, { signal }),
    onCrash: (answer) => {
      const crashed = (error: unknown) => {
        const line = answer(error);
        if (line !== null) writeSync(1, `${line}\n`);
        process.exit(ExitCode.Ok);
      };
      process.on('uncaughtException', crashed);
      process.on('unhandledRejection', crashed);
      return () => {
        process.off('uncaughtException', crashed);
        process.off('unhandledRejection', crashed);
      };
    },
  };
}
