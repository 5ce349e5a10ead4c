// exec in process: the operator's own process asks through `cs.guard()`, with the approval
// server's configuration file (its PostgreSQL store, policy, directory, Slack and webhooks).
import {
  approvalsOf,
  type Countersign,
  type GuardContext,
  inboxRequestUrl,
  isCountersignError,
  type OpenAction,
} from '@countersign/core';
import { CliError, ExitCode } from '../exit-codes.js';
import { shellLine } from './exec-call.js';
import { type CommandEnd, runCommand } from './exec-child.js';
import { deniedExit, execFailure } from './exec-exit.js';
import type { PendingView } from './exec-progress.js';
import type { ExecRun } from './exec-run.js';

export interface LocalTarget {
  configPath: string;
  /** The operator's identity for this process (`--actor`). */
  actor: string;
}

/** A command that ran and failed: the guard records `failed` with this detail. */
class CommandFailed extends Error {}

export async function execLocal(run: ExecRun, target: LocalTarget): Promise<number> {
  const { applyEnv, createApprovalServer, loadConfigFile } = await import('@countersign/http');
  const { call, progress, signals } = run;
  let server: Awaited<ReturnType<typeof createApprovalServer>>;
  let publicUrl: string | undefined;
  try {
    const config = applyEnv(await loadConfigFile(target.configPath), run.env);
    publicUrl = config.publicUrl;
    // Nothing listens: the server's own instance is built exactly as `countersign serve` builds it.
    server = await createApprovalServer(config, {
      logger: {
        info() {},
        warn: (message) => progress.say(`countersign: warning: ${message}`),
        error: (message) => progress.say(`countersign: error: ${message}`),
      },
    });
  } catch (error) {
    const failure = execFailure(error);
    const code = failure.exitCode === ExitCode.ExecInternal ? ExitCode.ExecConfig : failure.exitCode;
    throw new CliError(code, `--config ${target.configPath}: ${failure.message}`);
  }
  const cs = server.countersign;
  const waitTimer = new AbortController();
  const timer =
    run.waitUntil === null
      ? null
      : setTimeout(() => waitTimer.abort('--wait'), Math.max(0, run.waitUntil - Date.now()));
  const stopWaiting = AbortSignal.any([signals.waiting, waitTimer.signal]);
  const action: OpenAction = { name: call.action.name, params: call.action.params };
  if (call.action.resource !== undefined) action.resource = call.action.resource;
  if (call.action.risk !== undefined) action.risk = call.action.risk as OpenAction['risk'];
  const context: GuardContext = {
    actor: target.actor,
    reason: call.reason,
    sessionId: call.sessionId,
    idempotencyKey: call.idempotencyKey,
    onAbort: run.onAbort,
    signal: stopWaiting,
  };
  let end: CommandEnd | null = null;
  let requestId: string | null = null;
  let poller: NodeJS.Timeout | null = null;
  try {
    const opened = await cs.open(action, context);
    if (opened.status === 'denied') throw new CliError(deniedExit(opened.code), `not run: ${opened.reason}`);
    if (opened.status === 'pending') {
      requestId = opened.requestId;
      const show = async () => {
        const request = await cs.getRequest(opened.requestId);
        if (request?.status === 'pending') progress.waiting(pendingView(request, publicUrl));
      };
      await show();
      if (run.terminal) poller = setInterval(() => void show().catch(() => {}), 5000);
    }
    await cs.guard(
      {
        ...action,
        run: async (grant) => {
          if (timer !== null) clearTimeout(timer);
          if (poller !== null) clearInterval(poller);
          progress.stop();
          progress.say(
            `countersign: ${opened.status === 'allowed' ? 'allowed' : 'approved'}; running ${shellLine(call.argv)}`,
          );
          end = await runCommand(call, grant, run.env, signals);
          if (end.status === 'failed') throw new CommandFailed(end.detail);
        },
      },
      context,
    );
    return (end as CommandEnd | null)?.exitCode ?? ExitCode.Ok;
  } catch (error) {
    const ran = end as CommandEnd | null;
    if (ran !== null) {
      if (!(error instanceof CommandFailed)) {
        progress.say(`countersign: warning: the outcome was not recorded (${execFailure(error).message})`);
      }
      return ran.exitCode;
    }
    if (stopWaiting.aborted && isCountersignError(error))
      throw interrupted(error.code, requestId, stopWaiting.reason);
    throw execFailure(error);
  } finally {
    if (timer !== null) clearTimeout(timer);
    if (poller !== null) clearInterval(poller);
    progress.stop();
    await server.close();
  }
}

function pendingView(
  request: NonNullable<Awaited<ReturnType<Countersign['getRequest']>>>,
  publicUrl: string | undefined,
): PendingView {
  return {
    callId: request.id,
    approvalUrl: publicUrl === undefined ? null : inboxRequestUrl(publicUrl, request.id),
    approvals: { count: approvalsOf(request).length, required: request.quorum },
    expiresAt: request.expiresAt,
    message: `waiting for approval by ${request.approvers.join(', ')} (${request.quorum} needed)`,
  };
}

function interrupted(code: string, requestId: string | null, by: unknown): CliError {
  const which = requestId === null ? 'the request' : `request ${requestId}`;
  if (code === 'approval_pending') {
    return new CliError(
      ExitCode.ExecPending,
      `${by === '--wait' ? 'stopped waiting (--wait)' : `detached (${String(by)})`}: ${which} is still pending; run the same exec again (same session) to re-attach`,
    );
  }
  if (code === 'approval_cancelled') {
    return new CliError(
      ExitCode.ExecCancelled,
      `cancelled (${String(by)}): ${which} was cancelled; the command did not run`,
    );
  }
  return execFailure(new CliError(deniedExit(code), `not run (${String(by)}): ${code}`));
}
