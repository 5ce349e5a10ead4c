// What the hook needs from the agent API, and how its failures read to the model.

/** The fields of an agent API call (`AgentCall`) the hook reads. */
export interface HookCall {
  callId: string;
  status: 'allowed' | 'pending' | 'approved' | 'denied' | 'running' | 'executed' | 'failed';
  code: string | null;
  message: string;
  approvalUrl: string | null;
}

/** The body the hook opens a call with (`OpenCallBody`). */
export interface HookOpenBody {
  action: { name: string; resource?: string; params: Record<string, unknown>; risk?: string };
  reason: string;
  sessionId: string;
  idempotencyKey: string;
}

export interface CallOptions {
  /** Aborted when the hook's time is up: the request stops and the promise rejects. */
  signal: AbortSignal;
}

/** The agent API as the hook uses it; the agent client satisfies it. */
export interface HookClient {
  open(body: HookOpenBody, options: CallOptions): Promise<HookCall>;
  /** Resolves once the call is no longer `pending`. */
  waitForDecision(callId: string, options: CallOptions): Promise<HookCall>;
  claim(callId: string, options: CallOptions): Promise<HookCall>;
  outcome(
    callId: string,
    body: { status: 'executed' | 'failed'; detail: string },
    options: CallOptions,
  ): Promise<HookCall>;
}

/** An agent API problem answer, as the client reports it (`AgentApiError`), recognised by shape. */
interface ApiProblem {
  status: number;
  code: string;
  message: string;
}

function apiProblem(error: unknown): ApiProblem | null {
  if (typeof error !== 'object' || error === null) return null;
  const { status, code, detail, message } = error as Record<string, unknown>;
  if (typeof status !== 'number' || typeof code !== 'string') return null;
  const said = typeof detail === 'string' ? detail : typeof message === 'string' ? message : code;
  return { status, code, message: said };
}

/** Says what went wrong in words the model can act on; ends by saying the tool did not run. */
export function explainFailure(error: unknown, server: string): string {
  const notRun = 'The tool call was not run.';
  const problem = apiProblem(error);
  if (problem !== null) {
    const said = `${problem.status} ${problem.code}: ${problem.message}`;
    if (problem.status === 401) {
      return `countersign: the approval server at ${server} refused this agent's token (${said}). The token is missing, expired or not trusted there; ask the user to renew it before retrying. ${notRun}`;
    }
    if (problem.status === 429) {
      return `countersign: too many of this agent's calls are waiting for approval (${said}). Ask the user to decide the pending ones, then retry. ${notRun}`;
    }
    if (problem.status === 413) {
      return `countersign: the call is too large for the approval server (${said}); split it into smaller steps. ${notRun}`;
    }
    if (problem.status >= 500) {
      return `countersign: the approval server at ${server} is unavailable (${said}). Try again later or ask the user. ${notRun}`;
    }
    return `countersign: the approval server at ${server} refused the call (${said}). ${notRun}`;
  }
  if ((error as { kind?: unknown } | null)?.kind === 'token') {
    return `countersign: this agent has no token for the approval server (${plain(error as Error)}). Ask the user to set COUNTERSIGN_TOKEN for Claude Code, then retry. ${notRun}`;
  }
  const reason = error instanceof Error ? describeError(error) : String(error);
  return `countersign: the approval check failed: ${reason}. Ask the user to check the countersign hook and the approval server at ${server}. ${notRun}`;
}

/** A fetch failure's cause says more than "fetch failed" (ECONNREFUSED, ENOTFOUND). */
function describeError(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  if (error.message === 'fetch failed' && cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `the approval server cannot be reached (${typeof code === 'string' ? code : cause.message})`;
  }
  return plain(error);
}

/** The agent client prefixes its messages with its name; the model needs only the words. */
function plain(error: Error): string {
  return error.message.replace(/^\[agent-client\] /, '');
}
