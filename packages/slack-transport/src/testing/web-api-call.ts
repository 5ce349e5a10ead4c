// One Web API call over HTTP: arguments, token, injected faults, the method's answer, and its record.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SlackApiFailure } from './errors.js';
import type { FaultPlan, PlannedFault } from './faults.js';
import { bearerToken, charsetWarning, decodeJsonFields, parseArgs, sendJson, stringValue } from './http.js';
import { WEB_API_METHODS, type WebApiContext } from './web-api.js';

/** What answering a call needs besides the request: emulator state, the fault plan, the server's delays. */
export interface WebApiCallContext {
  readonly context: WebApiContext;
  readonly faults: FaultPlan;
  /** Holds an answer back; resolves early when the emulator closes. */
  readonly delay: (ms: number) => Promise<void>;
  readonly isClosed: () => boolean;
}

/**
 * Answers `POST|GET /api/<method>` as Slack does: faults and rate limits first, then the body's encoding,
 * then the token, then the method. Every call is recorded, including dropped and faulted ones.
 */
export async function serveWebApiCall(
  method: string,
  url: URL,
  request: IncomingMessage,
  body: string,
  response: ServerResponse,
  call: WebApiCallContext,
): Promise<void> {
  const { context, faults } = call;
  const contentType = request.headers['content-type'];
  const parsed = parseArgs(url, contentType, body);
  const headerToken = bearerToken(request.headers.authorization);
  const spec = Object.hasOwn(WEB_API_METHODS, method) ? WEB_API_METHODS[method] : undefined;
  const args = spec !== undefined && !spec.acceptsJson && parsed.isJson ? parsed.queryArgs : parsed.args;
  const token = headerToken ?? (parsed.isJson ? undefined : stringValue(args.token));
  const record = (status: number, answer: Readonly<Record<string, unknown>> | undefined): void => {
    context.ledger.calls.push({
      method,
      args: decodeJsonFields(args),
      token,
      contentType,
      status,
      response: answer,
      at: context.now(),
    });
  };

  if (spec === undefined) {
    const answer = { ok: false, error: 'unknown_method', req_method: method };
    record(404, answer);
    sendJson(response, 404, answer);
    return;
  }
  const headers = {
    'x-oauth-scopes': 'chat:write,users:read,users:read.email',
    'x-accepted-oauth-scopes': spec.acceptedScopes.join(','),
  };
  const fault: PlannedFault | undefined = faults.take(method);
  if (fault !== undefined && 'delayMs' in fault && fault.delayMs !== undefined) {
    await call.delay(fault.delayMs);
    if (call.isClosed()) {
      record(0, undefined);
      response.destroy();
      return;
    }
  }
  if (fault !== undefined && 'kind' in fault) {
    const answer = { ok: false, error: 'ratelimited' };
    record(429, answer);
    sendJson(response, 429, answer, { ...headers, 'retry-after': String(fault.retryAfterSeconds) });
    return;
  }
  if (fault !== undefined && 'disconnect' in fault) {
    record(0, undefined);
    response.socket?.destroy();
    return;
  }
  if (fault !== undefined && 'status' in fault) {
    record(fault.status, undefined);
    response.writeHead(fault.status, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(fault.body ?? '');
    return;
  }
  if (fault !== undefined && 'error' in fault) {
    const answer = { ok: false, error: fault.error, ...fault.extra };
    record(200, answer);
    sendJson(response, 200, answer, headers);
    return;
  }
  if (parsed.postTypeError !== undefined) {
    const answer = { ok: false, error: parsed.postTypeError };
    record(200, answer);
    sendJson(response, 200, answer, headers);
    return;
  }

  const warnings = parsed.warning === undefined ? {} : charsetWarning(parsed.warning);
  const auth = context.workspace.checkToken(token);
  let answer: Record<string, unknown>;
  if (auth !== 'ok') {
    answer = { ok: false, error: auth, ...warnings };
  } else {
    try {
      answer = { ok: true, ...spec.handle(args, context), ...warnings };
    } catch (error) {
      if (!(error instanceof SlackApiFailure)) throw error;
      answer = { ok: false, error: error.code, ...error.details, ...warnings };
    }
  }
  record(200, answer);
  sendJson(response, 200, answer, headers);
}
