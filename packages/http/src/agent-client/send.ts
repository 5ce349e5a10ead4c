// One request to `/v1/calls`: a fresh token, a timeout, a capped body, and typed failures.
import { readCappedBody } from '@countersign/core';
import type { AgentCall } from '../agent-api/call.js';
import {
  AgentApiError,
  AgentNetworkError,
  AgentResponseError,
  isAgentClientError,
  WorkloadTokenError,
} from './agent-client-error.js';
import { readCall } from './read-call.js';

/** A Fetch API function: `globalThis.fetch`, or a server's own handler in tests. */
export type AgentFetch = (request: Request) => Promise<Response>;

/** The workload's bearer token, or a function asked for one before every request. */
export type TokenSource = string | (() => Promise<string>);

export interface Sender {
  readonly origin: string;
  send(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    options: { signal?: AbortSignal | undefined; timeoutMs: number },
  ): Promise<AgentCall>;
}

/** Longest answer read: a call is a few hundred bytes; anything this big is not one. */
const MAX_ANSWER_BYTES = 1 << 20;
const CONTROL = /\p{Cc}/gu;

export function createSender(server: string, token: TokenSource, fetchFn: AgentFetch): Sender {
  let base: URL;
  try {
    base = new URL(server.endsWith('/') ? server : `${server}/`);
  } catch {
    throw new TypeError(`[agent-client] server must be an http(s) URL, got ${JSON.stringify(server)}`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new TypeError(`[agent-client] server must be an http(s) URL, got ${base.protocol}`);
  }
  if (base.username !== '' || base.password !== '' || base.search !== '' || base.hash !== '') {
    throw new TypeError('[agent-client] server must be a plain URL, without credentials, query or fragment');
  }
  const origin = base.origin;

  return {
    origin,
    async send(method, path, body, { signal, timeoutMs }) {
      signal?.throwIfAborted();
      const bearer = await tokenFor(token);
      const timeout = AbortSignal.timeout(timeoutMs);
      const both = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
      const headers: Record<string, string> = {
        authorization: `Bearer ${bearer}`,
        accept: 'application/json, application/problem+json',
      };
      if (body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      let text: string;
      try {
        response = await fetchFn(
          new Request(new URL(path, base), {
            method,
            headers,
            body: body === undefined ? null : JSON.stringify(body),
            signal: both,
          }),
        );
        text = await readCapped(response);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (isAgentClientError(error)) throw error;
        const why = timeout.aborted ? `no answer within ${timeoutMs / 1000} s` : describe(error);
        throw new AgentNetworkError(`cannot reach the approval server at ${origin}: ${why}`, error);
      }
      if (!response.ok) throw problemOf(response, text);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new AgentResponseError(response.status, `${origin} answered ${response.status} with no JSON`);
      }
      const call = readCall(json);
      if (typeof call === 'string') {
        throw new AgentResponseError(
          response.status,
          `${origin} answered something that is not a call: ${call}`,
        );
      }
      return call;
    },
  };
}

async function tokenFor(token: TokenSource): Promise<string> {
  let value: unknown;
  try {
    value = typeof token === 'string' ? token : await token();
  } catch (error) {
    if (isAgentClientError(error)) throw error;
    throw new WorkloadTokenError(`the token source failed: ${describe(error)}`, { cause: error });
  }
  // A header value cannot hold these; a token that does is not one (and would be refused anyway).
  if (typeof value !== 'string' || value === '' || /[\s\p{Cc}]/u.test(value)) {
    throw new WorkloadTokenError('the token source gave no usable token (empty, or not one line of text)');
  }
  return value;
}

async function readCapped(response: Response): Promise<string> {
  const body = await readCappedBody(response, MAX_ANSWER_BYTES);
  if (body === null)
    throw new AgentResponseError(response.status, `the answer is over ${MAX_ANSWER_BYTES} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new AgentResponseError(response.status, 'the answer is not UTF-8');
  }
}

/** An error answer as `AgentApiError`: the problem's members when it is one, the status otherwise. */
function problemOf(response: Response, text: string): AgentApiError {
  let problem: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      problem = parsed as Record<string, unknown>;
    }
  } catch {
    // Not JSON (a proxy's error page): the status is all there is.
  }
  const code =
    typeof problem.code === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(problem.code)
      ? problem.code
      : `http_${response.status}`;
  const detail =
    typeof problem.detail === 'string' && problem.detail.trim() !== ''
      ? problem.detail.replace(CONTROL, ' ').slice(0, 500)
      : response.statusText || 'no detail';
  const field = typeof problem.field === 'string' ? problem.field.replace(CONTROL, ' ').slice(0, 200) : null;
  return new AgentApiError(response.status, code, detail, field);
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string' && cause.message !== '') return cause.message.replace(CONTROL, ' ');
  if (error instanceof Error) return error.message.replace(CONTROL, ' ');
  return String(error);
}
