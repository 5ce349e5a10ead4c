// The decision API: pending requests, their presentation, decisions, audit, health, on Hono.
import {
  type ApprovalRequest,
  type Clock,
  ConfigError,
  type Countersign,
  decisionProblem,
  inboxRequestUrl,
  presentRequest,
  readCappedBody,
  type Store,
  systemClock,
} from '@countersign/core';
import { Hono } from 'hono';
import { type AgentApiOptions, resolveAgentApi } from './agent-api/agent-options.js';
import { AGENT_ROUTES, type MountedAgentApi, mountAgentApi } from './agent-api/agent-routes.js';
import { refuseAgents, workloadCaller } from './agent-api/agents-never-decide.js';
import { setAnswerHeaders } from './api-headers.js';
import type { ApiVariables } from './api-variables.js';
import { type Authenticators, authenticate, type Caller } from './authenticate.js';
import { createBearerVerifier, type OidcOptions } from './bearer-auth.js';
import { createChangeFeed } from './change-feed.js';
import { parseDecision } from './decision-body.js';
import { errorResponse } from './error-status.js';
import { type MountedInbox, mountInbox } from './inbox/inbox.js';
import { INBOX_OPTION_KEYS, type InboxOptions } from './inbox/inbox-options.js';
import { createSessionStore } from './inbox/sessions.js';
import { OPENAPI_PATH, openApiDocument } from './openapi.js';
import { checkKeys, PREFIX, positiveInteger } from './options.js';
import { decidableRequests, decodeCursor, pageOf } from './pending-requests.js';
import { problem } from './problem.js';
import { createRefusalAudit } from './refusal-audit.js';
import { type CoalesceRefusalsOptions, createRefusalCoalescer } from './refusal-coalescer.js';
import { createRelayAuthenticator, type RelayOptions } from './relay-auth.js';
import { createMemoryReplayGuard, type ReplayGuard } from './replay-guard.js';
import { requestAudit } from './request-audit.js';

export interface DecisionApiOptions {
  /**
   * The store the countersign instance uses. Core has no public listing of pending requests, so
   * `GET /requests` reads them here (validated like core validates them).
   */
  store: Store;
  /** OIDC/JWT bearer tokens for human approvers. */
  oidc?: OidcOptions | undefined;
  /** Machine relays that sign their requests (Standard Webhooks). */
  relays?: readonly RelayOptions[] | undefined;
  /** Where relay message ids are remembered. Default: in this process's memory. */
  replayGuard?: ReplayGuard | undefined;
  /** Identities allowed to read every request and export the audit log (`GET /audit`). */
  auditors?: readonly string[] | undefined;
  /** Largest request body accepted, checked before parsing. Default 16384 bytes. */
  maxBodyBytes?: number | undefined;
  /** Pending requests read per listing. Default 10000. */
  maxScan?: number | undefined;
  /** Base URL the API is reachable at, for links such as the inbox's approval URL. */
  publicUrl?: string | undefined;
  /** Serve the web approval inbox under `/inbox` (needs `oidc`: people sign in with a token). */
  inbox?: InboxOptions | boolean | undefined;
  /**
   * A refusal (a read by a non-approver, a self-approval, a non-approver's decision) is audited once
   * per caller, request and reason in a window; repeats get the same answer and add no entry.
   */
  coalesceRefusals?: CoalesceRefusalsOptions | undefined;
  /**
   * The agent API (`/v1/calls`): workloads with OIDC tokens open calls, wait, claim single-use
   * grants and report outcomes (docs/agent-api.md). Agent identities never decide.
   */
  agents?: AgentApiOptions | undefined;
  clock?: Clock | undefined;
}

/** The API as a Hono app (`app.fetch` is the Fetch handler); `close()` ends live streams and their feed. */
export type DecisionApi = Hono<{ Variables: ApiVariables }> & { close(): Promise<void> };

export type { ApiVariables } from './api-variables.js';

const OPTION_KEYS = [
  'store',
  'oidc',
  'relays',
  'replayGuard',
  'auditors',
  'maxBodyBytes',
  'maxScan',
  'publicUrl',
  'inbox',
  'coalesceRefusals',
  'agents',
  'clock',
] as const;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,100}$/;
const LIST_QUERY = ['limit', 'cursor', 'action', 'resource', 'actor', 'risk'] as const;

/** Paths and the methods each answers; everything else on them is a 405. */
export const API_ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/healthz': ['GET'],
  [OPENAPI_PATH]: ['GET'],
  '/requests': ['GET'],
  '/requests/:id': ['GET'],
  '/requests/:id/decisions': ['POST'],
  '/requests/:id/audit': ['GET'],
  '/audit': ['GET'],
};

const AUTHENTICATED = /^\/(requests|audit)(\/|$)/;
const ROUTE_PATTERNS = Object.entries(API_ROUTES).map(
  ([path, methods]) => [new RegExp(`^${path.replace(/:id/g, '[^/]+')}$`), methods] as const,
);

function routeMethods(path: string): readonly string[] | null {
  for (const [pattern, methods] of ROUTE_PATTERNS) if (pattern.test(path)) return methods;
  return null;
}

/** The stable page where a person decides `requestId` in the web inbox: core's `inboxRequestUrl`. */
export function approvalUrl(publicUrl: string, requestId: string): string {
  return inboxRequestUrl(publicUrl, requestId);
}

/**
 * A Hono app serving the decision API for `cs`. Who decides comes only from authentication; the
 * decision itself goes through `cs.decide`, so self-approval, eligibility, quorum and settled
 * requests are core's checks, refusals included in the audit log.
 */
export function createDecisionApi(cs: Countersign, options: DecisionApiOptions): DecisionApi {
  checkKeys(options, OPTION_KEYS, 'createDecisionApi options');
  if (typeof options.store?.listRequests !== 'function') {
    throw new ConfigError(`${PREFIX} store is required (the store passed to createCountersign)`);
  }
  if (options.oidc === undefined && (options.relays ?? []).length === 0) {
    throw new ConfigError(`${PREFIX} configure oidc or relays: nobody could authenticate otherwise`);
  }
  const clock = options.clock ?? systemClock;
  const store = options.store;
  const maxBodyBytes = positiveInteger(options.maxBodyBytes, 16_384, 'maxBodyBytes');
  const maxScan = positiveInteger(options.maxScan, 10_000, 'maxScan');
  const auditors = new Set(options.auditors ?? []);
  const authenticators: Authenticators = {
    bearer: options.oidc === undefined ? null : createBearerVerifier(options.oidc, clock),
    relays:
      (options.relays ?? []).length === 0
        ? null
        : createRelayAuthenticator(
            options.relays ?? [],
            options.replayGuard ?? createMemoryReplayGuard({ now: () => clock.now() }),
          ),
  };
  const publicUrl = options.publicUrl;
  const agents = options.agents === undefined ? null : resolveAgentApi(options.agents, options.oidc, clock);
  const workloads = agents?.workloads ?? null;
  const refusals = createRefusalAudit(cs, createRefusalCoalescer(options.coalesceRefusals ?? {}), clock);
  const app = new Hono<{ Variables: ApiVariables }>();
  // Every answer, errors and inbox pages included.
  app.use('*', async (c, next) => {
    await next();
    setAnswerHeaders(c.res.headers);
  });
  const feed = createChangeFeed(cs, store);
  let inboxStreams: MountedInbox | null = null;
  if (options.inbox !== undefined && options.inbox !== false) {
    const inbox = options.inbox === true ? {} : options.inbox;
    checkKeys(inbox, INBOX_OPTION_KEYS, 'inbox');
    if (authenticators.bearer === null) {
      throw new ConfigError(`${PREFIX} the inbox needs oidc: people sign in with a bearer token`);
    }
    const sessionTtlMs = positiveInteger(inbox.sessionTtlMs, 3_600_000, 'inbox.sessionTtlMs');
    inboxStreams = mountInbox(app, {
      cs,
      store,
      bearer: refuseAgents(authenticators.bearer, workloads),
      clock,
      auditors,
      feed,
      refusals,
      sessions: createSessionStore(sessionTtlMs),
      maxBodyBytes,
      maxScan,
      publicOrigin: publicUrl === undefined ? null : new URL(publicUrl).origin,
      secureCookies: inbox.secureCookies ?? publicUrl?.startsWith('https:') === true,
      sessionTtlMs,
      pageSize: positiveInteger(inbox.pageSize, 200, 'inbox.pageSize'),
      maxStreams: positiveInteger(inbox.maxStreams, 1_000, 'inbox.maxStreams'),
      keepAliveMs: positiveInteger(inbox.keepAliveSeconds, 15, 'inbox.keepAliveSeconds') * 1000,
    });
  }

  app.get('/healthz', async () => {
    try {
      await cs.audit.head();
      return Response.json({ status: 'ok' }, { headers: { 'cache-control': 'no-store' } });
    } catch {
      return Response.json(
        { status: 'unavailable' },
        { status: 503, headers: { 'cache-control': 'no-store' } },
      );
    }
  });
  app.get(OPENAPI_PATH, () => Response.json(openApiDocument({ agents: agents !== null })));

  let agentApi: MountedAgentApi | null = null;
  if (agents !== null) {
    agentApi = mountAgentApi(app, {
      cs,
      ...agents,
      approvers: authenticators.bearer,
      feed,
      clock,
      maxBodyBytes,
      publicUrl,
    });
  }

  // Body capped, then caller established, before any route reads input. Unknown routes and
  // methods fall through to their 404/405 without asking for credentials.
  app.use('*', async (c, next) => {
    const methods = routeMethods(c.req.path);
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    if (methods === null || !methods.includes(method) || !AUTHENTICATED.test(c.req.path)) return next();
    const body = await readCappedBody(c.req.raw, maxBodyBytes);
    if (body === null) {
      return problem(413, 'body_too_large', `the body exceeds ${maxBodyBytes} bytes`, {
        headers: { connection: 'close' },
      });
    }
    const agent = workloads === null ? null : await workloadCaller(c.req.raw, workloads);
    if (agent !== null) return agent;
    const result = await authenticate(authenticators, c.req.raw, body, clock.now());
    if ('failure' in result) {
      if (result.code === 'keys_unavailable') return problem(503, 'keys_unavailable', result.failure);
      return problem(401, 'unauthenticated', result.failure, {
        headers: { 'www-authenticate': 'Bearer realm="countersign"' },
      });
    }
    if (result.caller.identity.startsWith('agent:')) {
      return problem(
        403,
        'agent_cannot_decide',
        `${result.caller.identity} is an agent identity: agents never read or decide approval requests`,
      );
    }
    c.set('caller', result.caller);
    c.set('body', body);
    await next();
  });

  app.get('/requests', async (c) => {
    const query = c.req.query();
    for (const key of Object.keys(query)) {
      if (!(LIST_QUERY as readonly string[]).includes(key)) {
        return problem(
          400,
          'invalid_input',
          `unknown query parameter "${key}"; expected ${LIST_QUERY.join(', ')}`,
          { field: key },
        );
      }
    }
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return problem(400, 'invalid_input', 'limit must be an integer from 1 to 100', { field: 'limit' });
    }
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (query.cursor !== undefined && after === null) {
      return problem(400, 'invalid_input', 'cursor is not one this API issued', { field: 'cursor' });
    }
    const caller = c.get('caller');
    try {
      const all = await decidableRequests(store, caller.identity, clock.now(), query, maxScan);
      const page = pageOf(all, after, limit);
      return Response.json({
        items: page.items.map((request) => view(request, caller)),
        nextCursor: page.nextCursor,
      });
    } catch (error) {
      return errorResponse(error);
    }
  });

  app.get('/requests/:id', async (c) => {
    const loaded = await visibleRequest(c.req.param('id'), c.get('caller'));
    if (loaded instanceof Response) return loaded;
    return Response.json(view(loaded, c.get('caller')));
  });

  app.post('/requests/:id/decisions', async (c) => {
    const id = c.req.param('id');
    if (!REQUEST_ID.test(id))
      return problem(400, 'invalid_input', 'the request id is malformed', { field: 'id' });
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json(;|$)/i.test(type)) {
      return problem(415, 'unsupported_media_type', 'send the decision as application/json');
    }
    const caller = c.get('caller');
    // A relay's signature covers the body only, so the body must name the request it decides.
    const parsed = parseDecision(c.get('body'), id, caller.via.startsWith('relay:'));
    if ('field' in parsed) return problem(400, 'invalid_input', parsed.detail, { field: parsed.field });
    const repeated = await refusals.repeatedDecision(id, caller.identity);
    if (repeated !== null) return errorResponse(repeated);
    try {
      const result = await cs.decide(id, {
        approver: caller.identity,
        outcome: parsed.outcome,
        comment: parsed.comment,
        via: caller.via,
      });
      return Response.json({ ...view(result.request, caller), approvals: result.approvals });
    } catch (error) {
      refusals.decisionFailed(id, caller.identity, error);
      return errorResponse(error);
    }
  });

  app.get('/requests/:id/audit', async (c) => {
    const loaded = await visibleRequest(c.req.param('id'), c.get('caller'));
    if (loaded instanceof Response) return loaded;
    try {
      return Response.json({ entries: await requestAudit(cs, loaded.id) });
    } catch (error) {
      return errorResponse(error);
    }
  });

  app.get('/audit', async (c) => {
    const caller = c.get('caller');
    if (!auditors.has(caller.identity)) {
      return problem(
        403,
        'not_auditor',
        `${caller.identity} is not an auditor; only configured auditors may export the audit log`,
      );
    }
    try {
      return new Response(await cs.audit.export(), {
        headers: { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' },
      });
    } catch (error) {
      return errorResponse(error);
    }
  });

  const routes = agents === null ? API_ROUTES : { ...API_ROUTES, ...AGENT_ROUTES };
  for (const [path, methods] of Object.entries(routes)) {
    app.all(path, () =>
      problem(405, 'method_not_allowed', `${path} answers ${methods.join(', ')}`, {
        headers: { allow: methods.join(', ') },
      }),
    );
  }
  app.notFound(() => problem(404, 'not_found', `no such route; see the OpenAPI document at ${OPENAPI_PATH}`));
  app.onError(() => problem(500, 'internal_error', 'the server failed; nothing was recorded'));

  function view(request: ApprovalRequest, caller: Caller) {
    const why = decisionProblem(request, caller.identity, clock.now());
    return {
      ...presentRequest(request),
      viewer: { identity: caller.identity, canDecide: why === null, problem: why },
      links: {
        self: `/requests/${request.id}`,
        decisions: `/requests/${request.id}/decisions`,
        audit: `/requests/${request.id}/audit`,
        approval: publicUrl === undefined ? null : approvalUrl(publicUrl, request.id),
      },
    };
  }

  /** The request if `caller` may see it: its approvers and auditors may. */
  async function visibleRequest(id: string, caller: Caller): Promise<ApprovalRequest | Response> {
    if (!REQUEST_ID.test(id))
      return problem(400, 'invalid_input', 'the request id is malformed', { field: 'id' });
    let request: ApprovalRequest | null;
    try {
      request = await cs.getRequest(id);
    } catch (error) {
      return errorResponse(error);
    }
    if (request === null) return problem(404, 'request_not_found', `no approval request with id ${id}`);
    if (!request.approvers.includes(caller.identity) && !auditors.has(caller.identity)) {
      // A look at a request one may not see is what reviewers look for: audited, as decide's refusals are.
      await refusals.readRefused(id, caller);
      return problem(
        403,
        'not_eligible',
        `${caller.identity} is neither an approver of request ${id} nor an auditor`,
      );
    }
    return request;
  }

  return Object.assign(app, {
    close: async () => {
      inboxStreams?.close();
      await agentApi?.close();
      await feed.close();
    },
  });
}
