// The call `countersign exec` asks for: the exact command line, its working directory and the chosen
// environment bound into params, so an approval covers that command and nothing else.
import { createHash } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fingerprintAction } from '@countersign/core';
import { type ParsedArgs, single } from '../args.js';
import { CliError, ExitCode } from '../exit-codes.js';

/** Never bound into params nor passed to the command: they prove the workload's identity. */
export const WORKLOAD_SECRETS = [
  'COUNTERSIGN_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
] as const;

export interface ExecCall {
  action: { name: string; resource?: string; risk?: string; params: Record<string, unknown> };
  reason: string;
  sessionId: string;
  idempotencyKey: string;
  /** The command line as given; `argv[0]` is what the command sees as its name. */
  argv: string[];
  /** The executable `argv[0]` resolves to now, which is what runs (a later PATH change cannot swap it). */
  path: string;
  cwd: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_PARAMS = ['command', 'env'];

export const execUsage = (message: string) => new CliError(ExitCode.ExecUsage, message);

export function readExecCall(
  args: ParsedArgs,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): ExecCall {
  const argv = args.positionals;
  if (argv.length === 0)
    throw execUsage("'exec' needs the command after --: countersign exec --action NAME -- COMMAND [ARGS...]");
  const name = single(args, 'action');
  if (name === undefined)
    throw execUsage("'exec' needs --action NAME (what the policy matches, e.g. db.migrate)");
  const path = resolveExecutable(argv[0]!, cwd, env.PATH ?? '');
  const params: Record<string, unknown> = { command: { argv: [...argv], cwd } };
  const bound: Record<string, string> = {};
  for (const variable of args.flags.get('env-param') ?? []) {
    if (!ENV_NAME.test(variable)) throw execUsage(`--env-param takes a variable name, not "${variable}"`);
    if ((WORKLOAD_SECRETS as readonly string[]).includes(variable)) {
      throw execUsage(
        `--env-param ${variable}: the workload's token is never sent nor passed to the command`,
      );
    }
    const value = env[variable];
    if (value === undefined) throw execUsage(`--env-param ${variable}: the variable is not set`);
    if (Object.hasOwn(bound, variable)) throw execUsage(`--env-param ${variable} is given twice`);
    bound[variable] = value;
  }
  if (Object.keys(bound).length > 0) params.env = bound;
  for (const pair of args.flags.get('param') ?? []) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, Math.max(eq, 0));
    if (eq < 1 || key.endsWith(':')) throw execUsage(`--param takes key=value, not "${pair}"`);
    if (RESERVED_PARAMS.includes(key)) {
      throw execUsage(`--param ${key}: "${key}" is set by exec itself (the command line and --env-param)`);
    }
    if (Object.hasOwn(params, key)) throw execUsage(`param "${key}" is given twice`);
    params[key] = pair.slice(eq + 1);
  }
  const resource = single(args, 'resource');
  const risk = single(args, 'risk');
  const action: ExecCall['action'] = { name, params };
  if (resource !== undefined) action.resource = resource;
  if (risk !== undefined) action.risk = risk;
  const sessionId = single(args, 'session') ?? defaultSession(env);
  const reason = single(args, 'reason') ?? `countersign exec: ${shellLine(argv)}`.slice(0, 2000);
  const idempotencyKey = single(args, 'idempotency-key') ?? defaultKey(sessionId, action);
  return { action, reason, sessionId, idempotencyKey, argv: [...argv], path, cwd };
}

/**
 * The session a grant is bound to: COUNTERSIGN_SESSION, or in GitHub Actions the workflow run and
 * attempt (a re-run attempt asks again); anything else must say which with --session.
 */
function defaultSession(env: Readonly<Record<string, string | undefined>>): string {
  if (env.COUNTERSIGN_SESSION) return env.COUNTERSIGN_SESSION;
  const { GITHUB_ACTIONS, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT } = env;
  if (GITHUB_ACTIONS === 'true' && GITHUB_REPOSITORY && GITHUB_RUN_ID) {
    return `github:${GITHUB_REPOSITORY}/${GITHUB_RUN_ID}/${GITHUB_RUN_ATTEMPT ?? '1'}`;
  }
  throw execUsage(
    "'exec' needs --session ID (or COUNTERSIGN_SESSION): the approval is bound to it, and re-running re-attaches within it",
  );
}

/**
 * The default idempotency key: a hash of the session and the call's fingerprint, so running the
 * same exec again in the same session re-attaches to its request, and a changed command asks anew.
 */
function defaultKey(sessionId: string, action: ExecCall['action']): string {
  const fingerprint = fingerprintAction({
    name: action.name,
    resource: action.resource ?? null,
    params: action.params as Parameters<typeof fingerprintAction>[0]['params'],
  });
  return `exec-${createHash('sha256').update(`${sessionId}\n${fingerprint}`).digest('hex').slice(0, 32)}`;
}

/**
 * The file `command` runs: as given when it holds a slash (relative to `cwd`), else the first
 * executable of that name on PATH. Not found is exit 127, not executable 126, as env(1) says.
 */
export function resolveExecutable(command: string, cwd: string, pathVariable: string): string {
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : resolve(cwd, command)]
    : pathVariable
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(isAbsolute(dir) ? dir : resolve(cwd, dir), command));
  let found: string | null = null;
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
    } catch {
      continue;
    }
    found ??= candidate;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not executable: a later PATH entry may be.
    }
  }
  if (found !== null) throw new CliError(ExitCode.ExecNotExecutable, `${command}: not executable (${found})`);
  throw new CliError(
    ExitCode.ExecNotFound,
    `${command}: command not found${command.includes('/') ? '' : ' on PATH'}`,
  );
}

/** The command line as a shell would show it, for the default reason and the progress lines. */
export function shellLine(argv: readonly string[]): string {
  return argv
    .map((arg) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}
