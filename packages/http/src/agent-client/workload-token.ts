// The workload's identity token: COUNTERSIGN_TOKEN, or a fresh GitHub Actions OIDC token per request.
import { WorkloadTokenError } from './agent-client-error.js';
import type { AgentFetch } from './send.js';

export interface WorkloadTokenOptions {
  /**
   * The `aud` to ask GitHub for: the approval server's own audience (its `agents.issuers` entry).
   * Required in GitHub Actions: GitHub's default audience is accepted by other services too.
   */
  audience?: string | undefined;
  /** Default `globalThis.fetch`. */
  fetch?: AgentFetch | undefined;
  /** How long the token endpoint may take, in ms. Default 10 000. */
  timeoutMs?: number | undefined;
}

/** Environment variables `workloadToken` reads. None is ever logged or passed on. */
export const WORKLOAD_TOKEN_ENV = [
  'COUNTERSIGN_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
] as const;

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Where the agent's token comes from, as a function for `createAgentClient({ token })`:
 * `COUNTERSIGN_TOKEN` when set (a token some other tool obtained); else, in a GitHub Actions job
 * with `permissions: id-token: write`, a fresh OIDC token for `audience` on every call (GET
 * `ACTIONS_ID_TOKEN_REQUEST_URL&audience=…` with `Authorization: bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN`,
 * answer `{"value": "<jwt>"}`). Throws `WorkloadTokenError` when neither is available.
 */
export function workloadToken(
  env: Readonly<Record<string, string | undefined>>,
  options: WorkloadTokenOptions = {},
): () => Promise<string> {
  const fixed = env.COUNTERSIGN_TOKEN;
  if (fixed !== undefined && fixed !== '') return async () => fixed;
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !requestToken) {
    const partly = url || requestToken;
    throw new WorkloadTokenError(
      partly
        ? 'only one of ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN is set'
        : 'no workload token: set COUNTERSIGN_TOKEN, or run in a GitHub Actions job with `permissions: id-token: write`',
    );
  }
  const audience = options.audience;
  if (audience === undefined || audience === '') {
    throw new WorkloadTokenError(
      "GitHub Actions tokens need an audience: the approval server's own (its agents.issuers audience)",
    );
  }
  const fetchFn = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const target = `${url}${url.includes('?') ? '&' : '?'}audience=${encodeURIComponent(audience)}`;
  return async () => {
    let response: Response;
    let body: unknown;
    try {
      response = await fetchFn(
        new Request(target, {
          headers: { authorization: `bearer ${requestToken}`, accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        }),
      );
      body = response.ok ? await response.json() : null;
    } catch (error) {
      // Neither the URL (it names the run) nor the request token goes into the message.
      throw new WorkloadTokenError(
        'cannot get a GitHub Actions OIDC token: the token endpoint did not answer JSON',
        {
          cause: error instanceof Error ? error.name : 'error',
        },
      );
    }
    if (!response.ok) {
      throw new WorkloadTokenError(
        `cannot get a GitHub Actions OIDC token: the token endpoint answered ${response.status} (does the job have permissions: id-token: write?)`,
      );
    }
    const value = (body as { value?: unknown } | null)?.value;
    if (typeof value !== 'string' || !JWT.test(value)) {
      throw new WorkloadTokenError(
        'cannot get a GitHub Actions OIDC token: the answer has no JWT in "value"',
      );
    }
    return value;
  };
}
