// countersign exec: runs a command only once it is approved, with the grant's token and credentials.
import { isatty } from 'node:tty';
import { parseDuration } from '@countersign/core';
import { type CommandSpec, parseArgs, single } from '../args.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { type Io, write } from '../io.js';
import { execUsage, readExecCall } from './exec-call.js';
import { execLocal } from './exec-local.js';
import { createProgress } from './exec-progress.js';
import { execRemote } from './exec-remote.js';
import type { ExecRun } from './exec-run.js';
import { listenForSignals } from './exec-signals.js';

export const execHelp = `Usage: countersign exec --action NAME [options] -- COMMAND [ARGS...]

Asks for approval to run COMMAND, waits for the decision, and runs it only once approved, with the
grant's token and just-in-time credentials in its environment. Exits with the command's exit code.

The call: the exact command line is bound into params as command: { argv, cwd }, so an approval
covers that command in that directory and nothing else; a changed command is a new request.
  --action NAME            the action the policy matches, e.g. db.migrate (required)
  --resource R             what it touches, e.g. db:prod
  --param KEY=VALUE        another param (a string); repeat for more
  --env-param NAME         bind this environment variable's value into params.env; repeat for more
  --reason TEXT            shown to approvers (unverified). Default: the command line
  --risk LEVEL             low, medium, high or critical, when the rule sets none
  --session ID             what the grant is bound to. Default: COUNTERSIGN_SESSION, or in GitHub
                           Actions the run and attempt (github:<repo>/<run id>/<attempt>)
  --idempotency-key K      Default: a hash of the session and the call, so running the same exec
                           again in the same session re-attaches to its request (pending, approved,
                           or already run: an approval covers one run; give a new key to ask again)

Where to ask:
  --server URL             an approval server's agent API (or COUNTERSIGN_SERVER). The identity is a
                           workload token: COUNTERSIGN_TOKEN, or in GitHub Actions (permissions:
                           id-token: write) a fresh OIDC token for --audience (default: the server's
                           origin) on every request
  --config FILE            in process instead: the JSON file of 'countersign serve' (its PostgreSQL
                           store, policy, directory, Slack and webhooks), with its environment variables
  --actor ID               with --config only: who asks, e.g. user:alice (the operator's own process)

Waiting:
  --wait DURATION          stop waiting after this long (e.g. 15m; exit 75). Default: the request's deadline
  --on-abort cancel|detach what Ctrl-C or SIGTERM while waiting does. cancel (default): in process the
                           request is cancelled; through a server (the agent API has no cancel) exec
                           stops waiting and the request expires at its deadline. detach: exit 75 and
                           leave it pending; run the same exec again to re-attach
While waiting, stderr shows the request, its link and the approvals so far (a live line on a terminal).

The command gets COUNTERSIGN_GRANT_TOKEN, each credential as COUNTERSIGN_CREDENTIAL_<NAME>
(connectionString as COUNTERSIGN_CREDENTIAL_CONNECTION_STRING) and, for a PostgreSQL connectionString,
PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD. It never gets COUNTERSIGN_TOKEN,
ACTIONS_ID_TOKEN_REQUEST_TOKEN, ACTIONS_ID_TOKEN_REQUEST_URL or countersign's own secrets
(COUNTERSIGN_PG_URL, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, COUNTERSIGN_WEBHOOK_SECRET). SIGINT, SIGTERM
and SIGHUP are passed on to it (on a terminal Ctrl-C reaches it directly); the outcome is recorded
as executed (exit 0) or failed (exit status N, signal NAME).

Exit codes: the command's own (128+N when signal N ended it), or when it did not run:
  64 usage  65 expired  66 cancelled  67 identity refused (no token, 401, 403)
  69 server or store unavailable  70 internal error  75 still pending (--wait, detach, 429)
  76 not an agent API answer  77 denied (policy, approver, or already run)  78 configuration
  126 command not executable  127 command not found
`;

const SPEC: CommandSpec = {
  name: 'exec',
  flags: {
    action: { value: true },
    resource: { value: true },
    param: { value: true, repeat: true },
    'env-param': { value: true, repeat: true },
    reason: { value: true },
    session: { value: true },
    'idempotency-key': { value: true },
    risk: { value: true },
    server: { value: true },
    config: { value: true },
    actor: { value: true },
    audience: { value: true },
    wait: { value: true },
    'on-abort': { value: true },
  },
  positionals: [],
};

export interface ExecDeps {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export async function execCommand(
  argv: readonly string[],
  io: Io,
  deps: ExecDeps = { env: process.env, cwd: process.cwd() },
): Promise<number> {
  const split = argv.indexOf('--');
  const flags = split === -1 ? argv : argv.slice(0, split);
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(SPEC, flags);
  } catch (error) {
    throw error instanceof CliError ? execUsage(error.message) : error;
  }
  if (args.help) {
    await write(io.stdout, execHelp);
    return ExitCode.Ok;
  }
  if (split === -1)
    throw execUsage("'exec' needs the command after --: countersign exec --action NAME -- COMMAND [ARGS...]");
  args.positionals.push(...argv.slice(split + 1));
  const target = readTarget(args, deps.env);
  const onAbort = single(args, 'on-abort') ?? 'cancel';
  if (onAbort !== 'cancel' && onAbort !== 'detach')
    throw execUsage(`--on-abort takes cancel or detach, not "${onAbort}"`);
  const wait = single(args, 'wait');
  const waitMs = wait === undefined ? null : parseDuration(wait);
  if (waitMs === null && wait !== undefined)
    throw execUsage(`--wait takes a duration such as 90s, 15m or 2h, not "${wait}"`);
  const call = readExecCall(args, deps.env, deps.cwd);
  const terminal = isatty(2);
  const signals = listenForSignals();
  const run: ExecRun = {
    call,
    env: deps.env,
    progress: createProgress(io.stderr, terminal),
    signals,
    terminal,
    waitUntil: waitMs === null ? null : Date.now() + waitMs,
    onAbort,
  };
  try {
    return target.kind === 'remote' ? await execRemote(run, target) : await execLocal(run, target);
  } finally {
    signals.dispose();
  }
}

type Target =
  | { kind: 'remote'; server: string; audience: string | undefined }
  | { kind: 'local'; configPath: string; actor: string };

function readTarget(
  args: ReturnType<typeof parseArgs>,
  env: Readonly<Record<string, string | undefined>>,
): Target {
  const config = single(args, 'config');
  const actor = single(args, 'actor');
  const audience = single(args, 'audience');
  if (config !== undefined) {
    if (single(args, 'server') !== undefined) throw execUsage('give --server or --config, not both');
    if (audience !== undefined)
      throw execUsage('--audience is for --server (a workload token); not with --config');
    if (actor === undefined) throw execUsage('--config needs --actor ID: who is asking from this process');
    return { kind: 'local', configPath: config, actor };
  }
  if (actor !== undefined) {
    throw execUsage(
      '--actor is for --config only: an approval server takes the actor from the workload token',
    );
  }
  const server = single(args, 'server') ?? (env.COUNTERSIGN_SERVER || undefined);
  if (server === undefined) {
    throw execUsage("'exec' needs --server URL (or COUNTERSIGN_SERVER), or --config FILE with --actor ID");
  }
  return { kind: 'remote', server, audience };
}
