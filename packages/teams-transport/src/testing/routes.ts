// The emulator's URL map: OpenID metadata, JWKS, the token endpoint and the connector's activities.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectorActivities } from './activities.js';
import { type FaultPlan, sendFault, takeFault } from './faults.js';
import { readBody, sendJson } from './http.js';
import type { KeyRing } from './key-ring.js';
import type { TokenEndpoint } from './token-endpoint.js';

/** One HTTP call the emulator answered. */
export interface EmulatorCall {
  route: 'openid' | 'jwks' | 'token' | 'post' | 'update' | 'other';
  method: string;
  path: string;
  status: number;
  /** Whether a valid bot access token came with it (connector routes only). */
  authorized: boolean;
  at: number;
  /** The raw request body as text. */
  body: string;
}

/** The parts of the emulator that answer requests. */
export interface RouteContext {
  readonly tenantId: string;
  /** The emulator's base URL. */
  readonly url: () => string;
  readonly now: () => number;
  /** Every call answered is appended here. */
  readonly calls: EmulatorCall[];
  readonly faults: FaultPlan;
  readonly keys: KeyRing;
  readonly tokens: TokenEndpoint;
  readonly activities: ConnectorActivities;
}

/** Answers one request and records it; injected faults apply to the token and connector routes. */
export async function routeRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
): Promise<void> {
  const body = await readBody(req);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = req.method ?? 'GET';
  const record = (route: EmulatorCall['route'], status: number, authorized = false) =>
    ctx.calls.push({ route, method, path: url.pathname, status, authorized, at: ctx.now(), body });
  if (method === 'GET' && url.pathname === '/v1/.well-known/openidconfiguration') {
    record('openid', 200);
    return sendJson(res, 200, {
      issuer: 'https://api.botframework.com',
      authorization_endpoint: 'https://invalid.botframework.com',
      jwks_uri: `${ctx.url()}/v1/.well-known/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    });
  }
  if (method === 'GET' && url.pathname === '/v1/.well-known/keys') {
    record('jwks', 200);
    return sendJson(res, 200, ctx.keys.jwks());
  }
  if (url.pathname === `/${ctx.tenantId}/oauth2/v2.0/token`) {
    const fault = await takeFault(ctx.faults, 'token');
    if (fault !== null) {
      record('token', fault.status);
      return sendFault(res, fault);
    }
    const [status, answer] = ctx.tokens.issue(method, req.headers['content-type'] ?? '', body);
    record('token', status);
    return sendJson(res, status, answer);
  }
  const match = /^\/teams\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(url.pathname);
  if (match !== null && (method === 'POST' || method === 'PUT')) {
    const route =
      method === 'POST' && match[2] === undefined
        ? 'post'
        : method === 'PUT' && match[2] !== undefined
          ? 'update'
          : null;
    if (route === null) {
      record('other', 405);
      return sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: 'Method not allowed.' } });
    }
    const authorized = ctx.tokens.authorized(req.headers.authorization);
    if (!authorized) {
      record(route, 401);
      return sendJson(res, 401, { message: 'Authorization has been denied for this request.' });
    }
    const fault = await takeFault(ctx.faults, route);
    if (fault !== null) {
      record(route, fault.status, true);
      return sendFault(res, fault);
    }
    const [status, answer] = ctx.activities.call(
      route,
      decodeURIComponent(match[1]!),
      match[2] === undefined ? undefined : decodeURIComponent(match[2]),
      body,
    );
    record(route, status, true);
    return sendJson(res, status, answer);
  }
  record('other', 404);
  return sendJson(res, 404, { error: { code: 'NotFound', message: 'No such endpoint.' } });
}
