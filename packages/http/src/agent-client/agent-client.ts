// The agent API's client: open a call, wait for its decision, claim the grant, report the outcome.
import {
  type AgentCall,
  type CallStatus,
  type ClaimedGrant,
  MAX_WAIT_SECONDS,
  type OpenCallBody,
  type OutcomeBody,
} from '../agent-api/call.js';
import { AgentApiError, AgentResponseError, isAgentClientError } from './agent-client-error.js';
import { type AgentFetch, createSender, type TokenSource } from './send.js';

export interface AgentClientOptions {
  /** The approval server's URL, e.g. `https://approvals.example.com` (a path prefix is kept). */
  server: string;
  /**
   * The workload's OIDC token, or a function called before every request for a fresh one (tokens
   * are short-lived: see `workloadToken`). Never logged.
   */
  token: TokenSource;
  /** Default `globalThis.fetch`. A server's own Fetch handler works too. */
  fetch?: AgentFetch | undefined;
  /** Default `Date.now`: what `waitForDecision`'s deadline is measured with. */
  now?: (() => number) | undefined;
  /** How long a request may take beyond its long-poll wait, in ms. Default 30 000. */
  timeoutMs?: number | undefined;
}

export interface RequestOptions {
  /** Aborting rejects with the signal's reason; nothing the server did is undone. */
  signal?: AbortSignal | undefined;
}

export interface GetOptions extends RequestOptions {
  /** Long-poll: answer once the status differs from `status`, or after this many seconds (1–60). */
  waitSeconds?: number | undefined;
  /** The status the caller knows; default: the status when the server got the request. */
  status?: CallStatus | undefined;
}

export interface WaitOptions extends RequestOptions {
  /** Stop waiting at this time (ms since the epoch) and resolve with the call, still pending. */
  deadline?: number | undefined;
  /** Called with the first state read and with every change (status, approvals, deadline). */
  onUpdate?: ((call: AgentCall) => void) | undefined;
  /** Longest single long-poll, in seconds (1–60). Default 60. */
  pollSeconds?: number | undefined;
  /**
   * Consecutive failures to reach the server (or 502, 503, 504 answers) ridden out, with backoff,
   * before the wait fails. A read grants nothing, so retrying is safe. Default 5.
   */
  retries?: number | undefined;
}

/** A claimed call: `running`, with the grant shown this once. */
export type ClaimedCall = AgentCall & { status: 'running'; grant: ClaimedGrant };

export interface AgentClient {
  /** `POST /v1/calls`: opens the call or re-attaches to it (same `idempotencyKey` and session). */
  open(body: OpenCallBody, options?: RequestOptions): Promise<AgentCall>;
  /** `GET /v1/calls/:id`, long-polling with `waitSeconds`. */
  get(callId: string, options?: GetOptions): Promise<AgentCall>;
  /**
   * Long-polls until the call is no longer `pending`, or `deadline` passes (then resolves with the
   * pending call). Rejects on a refusal, on aborting `signal`, or after `retries` failures in a row.
   */
  waitForDecision(callId: string, options?: WaitOptions): Promise<AgentCall>;
  /** `POST /v1/calls/:id/claim`: the single-use grant, for an `allowed` or `approved` call. */
  claim(callId: string, options?: RequestOptions): Promise<ClaimedCall>;
  /** `POST /v1/calls/:id/outcome`: records `executed` or `failed`; the server revokes the grant. */
  outcome(callId: string, body: OutcomeBody, options?: RequestOptions): Promise<AgentCall>;
}

const TRANSIENT_STATUS: ReadonlySet<number> = new Set([502, 503, 504]);

/** Whether retrying the same read may succeed: the server was unreachable or said "later". */
export function isTransient(error: unknown): boolean {
  if (!isAgentClientError(error)) return false;
  return error.kind === 'network' || (error instanceof AgentApiError && TRANSIENT_STATUS.has(error.status));
}

/**
 * A client of the agent API (`docs/agent-api.md`). Every answer is checked: one that is not a call,
 * or not the call asked about, or a claim without a grant, is an `AgentResponseError`.
 */
export function createAgentClient(options: AgentClientOptions): AgentClient {
  const sender = createSender(options.server, options.token, options.fetch ?? ((r) => globalThis.fetch(r)));
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const path = (callId: string, tail = '') => `v1/calls/${encodeURIComponent(callId)}${tail}`;

  const expect = (call: AgentCall, what: string, ok: boolean): AgentCall => {
    if (!ok) throw new AgentResponseError(200, `${sender.origin} answered ${what} with an inconsistent call`);
    return call;
  };

  const get = async (callId: string, opts: GetOptions = {}): Promise<AgentCall> => {
    const query = new URLSearchParams();
    let wait = 0;
    if (opts.waitSeconds !== undefined) {
      wait = Math.min(MAX_WAIT_SECONDS, Math.max(1, Math.ceil(opts.waitSeconds)));
      query.set('wait', `${wait}s`);
    }
    if (opts.status !== undefined) query.set('status', opts.status);
    const search = query.size === 0 ? '' : `?${query}`;
    const call = await sender.send('GET', path(callId, search), undefined, {
      signal: opts.signal,
      timeoutMs: timeoutMs + wait * 1000,
    });
    return expect(call, `GET ${callId}`, call.callId === callId && call.grant === null);
  };

  return {
    async open(body, opts = {}) {
      const call = await sender.send('POST', 'v1/calls', body, { signal: opts.signal, timeoutMs });
      return expect(call, 'the open', call.grant === null);
    },
    get,
    async waitForDecision(callId, opts = {}) {
      const poll = Math.min(MAX_WAIT_SECONDS, Math.max(1, opts.pollSeconds ?? MAX_WAIT_SECONDS));
      const retries = opts.retries ?? 5;
      let failures = 0;
      let call: AgentCall | null = null;
      for (;;) {
        const left = opts.deadline === undefined ? Number.POSITIVE_INFINITY : opts.deadline - now();
        if (call !== null && (call.status !== 'pending' || left <= 0)) return call;
        let next: AgentCall;
        try {
          next =
            call === null
              ? await get(callId, { signal: opts.signal })
              : await get(callId, {
                  waitSeconds: Math.min(poll, Math.ceil(left / 1000)),
                  status: 'pending',
                  signal: opts.signal,
                });
          failures = 0;
        } catch (error) {
          if (opts.signal?.aborted || !isTransient(error) || ++failures > retries) throw error;
          await sleep(Math.min(2 ** (failures - 1) * 1000, Math.max(0, left)), opts.signal);
          continue;
        }
        if (call === null || changed(call, next)) opts.onUpdate?.(next);
        call = next;
      }
    },
    async claim(callId, opts = {}) {
      // An empty JSON object: the server takes JSON on every POST.
      const call = await sender.send(
        'POST',
        path(callId, '/claim'),
        {},
        {
          signal: opts.signal,
          timeoutMs,
        },
      );
      expect(call, 'the claim', call.callId === callId && call.status === 'running' && call.grant !== null);
      return call as ClaimedCall;
    },
    async outcome(callId, body, opts = {}) {
      const call = await sender.send('POST', path(callId, '/outcome'), body, {
        signal: opts.signal,
        timeoutMs,
      });
      const ok = call.callId === callId && call.grant === null;
      return expect(call, 'the outcome', ok && (call.status === 'executed' || call.status === 'failed'));
    },
  };
}

function changed(before: AgentCall, after: AgentCall): boolean {
  return (
    before.status !== after.status ||
    before.expiresAt !== after.expiresAt ||
    before.approvals?.count !== after.approvals?.count ||
    before.approvals?.required !== after.approvals?.required
  );
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener('abort', abort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}
