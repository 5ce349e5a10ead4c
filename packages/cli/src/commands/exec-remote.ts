// exec through an approval server's agent API: open, wait, claim, run, report the outcome.
import { AgentApiError, type AgentCall, createAgentClient, workloadToken } from '@countersign/http';
import { CliError, ExitCode } from '../exit-codes.js';
import { shellLine } from './exec-call.js';
import { runCommand } from './exec-child.js';
import { deniedExit, execFailure } from './exec-exit.js';
import type { ExecRun } from './exec-run.js';

/** Claim refusals that opening the call again (same body and key) mends, once. */
const REOPEN: ReadonlySet<string> = new Set(['call_not_held', 'call_expired']);

export interface RemoteTarget {
  server: string;
  /** The audience of GitHub Actions tokens; default: the server's origin. */
  audience: string | undefined;
}

export async function execRemote(run: ExecRun, target: RemoteTarget): Promise<number> {
  const { call, progress, signals } = run;
  let client: ReturnType<typeof createAgentClient>;
  try {
    const audience = target.audience ?? new URL(target.server).origin;
    client = createAgentClient({ server: target.server, token: workloadToken(run.env, { audience }) });
  } catch (error) {
    if (error instanceof TypeError)
      throw new CliError(ExitCode.ExecUsage, `--server: ${error.message.replace(/^\[agent-client\] /, '')}`);
    throw execFailure(error);
  }
  const body = {
    action: call.action,
    reason: call.reason,
    sessionId: call.sessionId,
    idempotencyKey: call.idempotencyKey,
  };
  let opened: AgentCall | undefined;
  let current: AgentCall;
  try {
    current = opened = await client.open(body, { signal: signals.waiting });
    if (current.status === 'pending') {
      progress.waiting(current);
      current = await client.waitForDecision(current.callId, {
        deadline: run.waitUntil ?? undefined,
        signal: signals.waiting,
        onUpdate: (next) => {
          if (next.status === 'pending') progress.waiting(next);
        },
        pollSeconds: run.terminal ? 15 : 60,
      });
    }
  } catch (error) {
    if (signals.waiting.aborted) return interrupted(run, opened);
    throw execFailure(error);
  } finally {
    progress.stop();
  }
  switch (current.status) {
    case 'pending':
      return stillPending(current, 'stopped waiting (--wait)');
    case 'denied':
      throw new CliError(deniedExit(current.code), `not run: ${current.message}`);
    case 'running':
    case 'executed':
    case 'failed':
      throw new CliError(
        ExitCode.ExecDenied,
        `not run: call ${current.callId} already ran under this approval (${current.status}); an approval covers one run: give a new --idempotency-key (or --session) to ask again`,
      );
  }
  let claimed: Awaited<ReturnType<typeof client.claim>>;
  try {
    // Not abortable: a claim the server made but exec never heard of would strand the grant.
    claimed = await client.claim(current.callId).catch(async (error: unknown) => {
      // A restarted server no longer holds the call's exact params (or an allowed call waited too
      // long): opening it again with the same body and key re-attaches, then it can be claimed.
      if (!(error instanceof AgentApiError) || !REOPEN.has(error.code)) throw error;
      current = await client.open(body);
      if (current.status !== 'allowed' && current.status !== 'approved') throw error;
      return client.claim(current.callId);
    });
  } catch (error) {
    throw execFailure(error);
  }
  if (signals.waiting.aborted) {
    await report(run, () =>
      client.outcome(current.callId, { status: 'failed', detail: `not started: ${signals.waiting.reason}` }),
    );
    throw new CliError(
      ExitCode.ExecCancelled,
      `cancelled by ${signals.waiting.reason} before the command started`,
    );
  }
  progress.say(
    `countersign: ${current.status === 'allowed' ? 'allowed' : 'approved'}; running ${shellLine(call.argv)}`,
  );
  const end = await runCommand(call, claimed.grant, run.env, signals);
  await report(run, () => client.outcome(current.callId, { status: end.status, detail: end.detail }));
  return end.exitCode;
}

/** Records the outcome; a failure to is said, not fatal: the command already ran, and its code is what matters. */
async function report(run: ExecRun, send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    run.progress.say(
      `countersign: warning: the outcome was not recorded (${execFailure(error).message}); the server closes the call as failed when its grant expires`,
    );
  }
}

function interrupted(run: ExecRun, current: AgentCall | undefined): number {
  const by = String(run.signals.waiting.reason);
  if (current === undefined) {
    throw new CliError(
      ExitCode.ExecCancelled,
      `stopped by ${by} before the server answered; re-running the same exec re-attaches to the call if it was opened`,
    );
  }
  if (run.onAbort === 'detach') return stillPending(current, `detached (${by})`);
  const until = current.expiresAt === null ? 'its deadline' : new Date(current.expiresAt).toISOString();
  throw new CliError(
    ExitCode.ExecCancelled,
    `stopped waiting (${by}); the agent API cannot cancel a request: call ${current.callId} stays pending until ${until}, then expires; nothing runs unless this exec is run again and claims it`,
  );
}

function stillPending(current: AgentCall, why: string): never {
  const until = current.expiresAt === null ? 'its deadline' : new Date(current.expiresAt).toISOString();
  throw new CliError(
    ExitCode.ExecPending,
    `${why}: call ${current.callId} is still pending until ${until}; run the same exec again (same session) to re-attach`,
  );
}
