// The agent API on the approval server: `/v1/calls`, open, wait, claim, outcome (docs/agent-api.md).
import {
  type ApprovalRequest,
  type Clock,
  type Countersign,
  canonicalJson,
  describeOutcome,
  readCappedBody,
} from '@countersign/core';
import type { Context, Hono } from 'hono';
import type { ApiVariables } from '../api-variables.js';
import type { BearerVerifier } from '../bearer-auth.js';
import type { ChangeFeed } from '../change-feed.js';
import { errorResponse } from '../error-status.js';
import { problem } from '../problem.js';
import { authenticateAgent } from './agent-auth.js';
import type { ResolvedAgentOptions } from './agent-options.js';
import type { AgentCall } from './call.js';
import { parseOpenCall, parseOutcome, parseWait } from './call-bodies.js';
import { CallRegistry, type HeldCall, TooManyCallsError } from './call-registry.js';
import { viewCall } from './call-view.js';
import { claimFailure, claimRefusal, fromRequest, openFailure } from './claim-checks.js';
import { claimHeldCall, endRunningCalls } from './held-run.js';
import { createRequestWatch } from './request-watch.js';
import { waitForChange } from './wait-for-change.js';
import type { WorkloadVerifier } from './workload-auth.js';

export interface AgentApiDeps {
  cs: Countersign;
  options: ResolvedAgentOptions;
  workloads: WorkloadVerifier;
  /** The approvers' verifier, to tell an approver's token from a stranger's. */
  approvers: BearerVerifier | null;
  feed: ChangeFeed;
  clock: Clock;
  maxBodyBytes: number;
  publicUrl: string | undefined;
}

export const AGENT_ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/v1/calls': ['POST'],
  '/v1/calls/:id': ['GET'],
  '/v1/calls/:id/claim': ['POST'],
  '/v1/calls/:id/outcome': ['POST'],
};

const CALL_ID = /^(req|call)_[A-Za-z0-9_-]{1,100}$/;

type AgentContext = Context<{ Variables: ApiVariables }>;

export interface MountedAgentApi {
  /** Ends running calls as failed (their grants revoked) and stops long polls. */
  close(): Promise<void>;
}

/** The same action exactly: name, resource, risk and params as canonical JSON. */
function sameAction(a: HeldCall['action'], b: HeldCall['action']): boolean {
  return (
    a.name === b.name &&
    a.resource === b.resource &&
    a.risk === b.risk &&
    canonicalJson(a.params) === canonicalJson(b.params)
  );
}

export function mountAgentApi(app: Hono<{ Variables: ApiVariables }>, deps: AgentApiDeps): MountedAgentApi {
  const { cs, options, clock, publicUrl } = deps;
  const { workloads } = deps;
  const registry = new CallRegistry({ maxCalls: options.maxCalls, maxOpenPerActor: options.maxOpenPerActor });
  const requests = createRequestWatch(deps.feed);
  const stopping = new AbortController();
  let waiting = 0;
  const now = () => clock.now();

  // Hono's `/v1/calls/*` matches `/v1/calls` itself too.
  app.use('/v1/calls/*', authenticated);

  async function authenticated(c: AgentContext, next: () => Promise<void>) {
    const path = c.req.path;
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    const route =
      path === '/v1/calls'
        ? 'POST'
        : /^\/v1\/calls\/[^/]+$/.test(path)
          ? 'GET'
          : /^\/v1\/calls\/[^/]+\/(claim|outcome)$/.test(path)
            ? 'POST'
            : null;
    if (route === null || route !== method) return next();
    const body = await readCappedBody(c.req.raw, deps.maxBodyBytes);
    if (body === null) {
      return problem(413, 'body_too_large', `the body exceeds ${deps.maxBodyBytes} bytes`, {
        headers: { connection: 'close' },
      });
    }
    const result = await authenticateAgent(c.req.raw, workloads, deps.approvers, options.approversMayOpen);
    if (!('actor' in result)) {
      return problem(result.status, result.code, result.detail, {
        headers: result.status === 401 ? { 'www-authenticate': 'Bearer realm="countersign"' } : undefined,
      });
    }
    if (method === 'POST' && !/^application\/json(;|$)/i.test(c.req.header('content-type') ?? '')) {
      return problem(415, 'unsupported_media_type', 'send the body as application/json');
    }
    c.set('caller', { identity: result.actor, via: 'agent-api' });
    c.set('body', body);
    await next();
  }

  app.post('/v1/calls', async (c) => {
    const parsed = parseOpenCall(c.get('body'));
    if (!('value' in parsed)) return problem(400, 'invalid_input', parsed.detail, { field: parsed.field });
    const input = parsed.value;
    const actor = c.get('caller').identity;
    registry.lapse(now());
    if (input.idempotencyKey !== null) {
      const again = registry.byKey(actor, input.sessionId, input.idempotencyKey);
      if (again !== undefined) {
        // As core does for requests: one key, one call; other params under it are a conflict, never the old answer.
        if (sameAction(again.action, input.action))
          return Response.json(viewCall(again.callId, again, null, publicUrl));
        return problem(
          409,
          'idempotency_conflict',
          `idempotency key ${JSON.stringify(input.idempotencyKey)} was used for another call in this session`,
        );
      }
    }
    let opened: Awaited<ReturnType<Countersign['open']>>;
    try {
      opened = await cs.open(
        {
          name: input.action.name,
          resource: input.action.resource,
          params: input.action.params,
          risk: input.action.risk,
        },
        {
          actor,
          sessionId: input.sessionId,
          reason: input.reason,
          onBehalfOf: input.onBehalfOf,
          idempotencyKey: input.idempotencyKey,
        },
      );
    } catch (error) {
      return openFailure(error);
    }
    const requestId = opened.status === 'allowed' ? null : opened.requestId;
    const call: HeldCall = {
      callId: requestId ?? CallRegistry.newCallId(),
      actor,
      sessionId: input.sessionId,
      reason: input.reason,
      onBehalfOf: input.onBehalfOf,
      idempotencyKey: input.idempotencyKey,
      action: input.action,
      requestId,
      phase: opened.status === 'denied' ? 'denied' : 'open',
      denial:
        opened.status === 'denied' ? { code: opened.code, message: describeOutcome(opened).text } : null,
      expiresAt: opened.status === 'allowed' ? now() + options.allowedClaimMs : null,
      settle: null,
      finished: null,
      touchedAt: now(),
    };
    // A call re-opened while this process runs it keeps its run.
    const held = requestId === null ? undefined : registry.get(requestId);
    if (held === undefined || held.phase === 'open' || held.phase === 'denied') {
      try {
        registry.put(call);
      } catch (error) {
        if (error instanceof TooManyCallsError) return problem(429, 'too_many_calls', error.message);
        throw error;
      }
    }
    if (requestId === null) return Response.json(viewCall(call.callId, call, null, publicUrl));
    const loaded = await load(requestId, actor);
    if (loaded instanceof Response) return loaded;
    return Response.json(viewCall(requestId, registry.get(requestId), loaded, publicUrl));
  });

  app.get('/v1/calls/:id', async (c) => {
    const id = c.req.param('id');
    const actor = c.get('caller').identity;
    const query = c.req.query();
    for (const key of Object.keys(query)) {
      if (key !== 'wait' && key !== 'status') {
        return problem(400, 'invalid_input', `unknown query parameter "${key}"; expected wait, status`, {
          field: key,
        });
      }
    }
    const wait = parseWait(query.wait);
    if (!('value' in wait)) return problem(400, 'invalid_input', wait.detail, { field: wait.field });
    const first = await current(id, actor);
    if (first instanceof Response) return first;
    const baseline = query.status ?? first.status;
    if (first.status !== baseline || wait.value === 0 || waiting >= options.maxWaiting)
      return Response.json(first);
    waiting += 1;
    try {
      const deadline = now() + wait.value;
      let latest = first;
      while (latest.status === baseline && latest.approvals?.count === first.approvals?.count) {
        const left = deadline - now();
        if (left <= 0) break;
        await waitForChange({
          cs,
          registry,
          requests,
          callId: id,
          requestId: first.requestId,
          // A pending request past its deadline is expired by a wait on it, as a waiting guard does.
          decisionDue:
            first.status === 'pending' && first.expiresAt !== null && first.expiresAt <= now() + left,
          ms: left,
          signals: [c.req.raw.signal, stopping.signal],
        });
        if (stopping.signal.aborted || c.req.raw.signal.aborted) break;
        const next = await current(id, actor);
        if (next instanceof Response) return next;
        latest = next;
      }
      return Response.json(latest);
    } finally {
      waiting -= 1;
    }
  });

  app.post('/v1/calls/:id/claim', async (c) => {
    const id = c.req.param('id');
    const actor = c.get('caller').identity;
    if (!CALL_ID.test(id)) return problem(404, 'call_not_found', `no call ${id} for ${actor}`);
    let held = registry.get(id);
    if (held !== undefined && held.actor !== actor)
      return problem(404, 'call_not_found', `no call ${id} for ${actor}`);
    let request: ApprovalRequest | null = null;
    if (held === undefined || held.requestId !== null) {
      const loaded = await load(id, actor);
      if (loaded instanceof Response) return loaded;
      request = loaded;
      const refusal = claimRefusal(request, held, now(), publicUrl);
      if (refusal !== null) return refusal;
    }
    if (held === undefined) {
      const rebuilt = fromRequest(request as ApprovalRequest, now());
      if (rebuilt === null) {
        return problem(
          409,
          'call_not_held',
          'this server does not hold the exact params of this call (some were redacted); open it again with the same body and idempotency key, then claim',
        );
      }
      held = rebuilt;
      registry.put(held);
    }
    switch (held.phase) {
      case 'denied':
        return problem(
          409,
          held.denial?.code ?? 'policy_denied',
          held.denial?.message ?? 'the call is denied',
        );
      case 'claiming':
      case 'running':
      case 'executed':
      case 'failed':
        return problem(409, 'already_claimed', `call ${id} was already claimed: a grant is issued once`);
      case 'open':
        if (held.requestId === null && held.expiresAt !== null && held.expiresAt <= now()) {
          return problem(409, 'call_expired', `allowed call ${id} was not claimed in time; open it again`);
        }
    }
    try {
      const grant = await claimHeldCall(cs, registry, held, now);
      const after = held.requestId === null ? null : await cs.getRequest(held.requestId).catch(() => null);
      return Response.json(viewCall(id, held, after, publicUrl, grant), {
        headers: { 'cache-control': 'no-store' },
      });
    } catch (error) {
      return claimFailure(error, id);
    }
  });

  app.post('/v1/calls/:id/outcome', async (c) => {
    const id = c.req.param('id');
    const actor = c.get('caller').identity;
    const parsed = parseOutcome(c.get('body'));
    if (!('value' in parsed)) return problem(400, 'invalid_input', parsed.detail, { field: parsed.field });
    const held = registry.get(id);
    if (held === undefined || held.actor !== actor) {
      if (held !== undefined || !CALL_ID.test(id))
        return problem(404, 'call_not_found', `no call ${id} for ${actor}`);
      const loaded = await load(id, actor);
      if (loaded instanceof Response) return loaded;
      if (loaded.status === 'executed' || loaded.status === 'failed') {
        return problem(409, 'outcome_recorded', `call ${id} already has its outcome`);
      }
      if (loaded.status === 'approved' && loaded.grantId !== null) {
        return problem(
          409,
          'claimed_elsewhere',
          `call ${id} is held by another approval server instance: report its outcome there`,
        );
      }
      return problem(409, 'not_claimed', `call ${id} is not claimed; claim it first`);
    }
    if (held.phase === 'executed' || held.phase === 'failed') {
      return problem(409, 'outcome_recorded', `call ${id} already has its outcome`);
    }
    if (held.phase === 'running' && held.settle === null) {
      // Another report of this call's outcome is being recorded right now.
      return problem(409, 'outcome_recorded', `call ${id} already has its outcome`);
    }
    if (held.phase !== 'running' || held.settle === null) {
      const request = held.requestId === null ? null : await load(held.requestId, actor);
      if (request !== null && !(request instanceof Response) && request.grantId !== null) {
        return problem(
          409,
          'claimed_elsewhere',
          `call ${id} is held by another approval server instance: report its outcome there`,
        );
      }
      return problem(409, 'not_claimed', `call ${id} is not claimed; claim it first`);
    }
    held.settle(parsed.value);
    const failure = await held.finished;
    if (failure !== null && failure !== undefined) {
      return problem(
        503,
        'outcome_not_recorded',
        'the grant was revoked but the outcome could not be recorded; the sweepers will close the call',
      );
    }
    const after = held.requestId === null ? null : await cs.getRequest(held.requestId).catch(() => null);
    return Response.json(viewCall(id, held, after, publicUrl));
  });

  /** The call as `actor` may see it, or the response saying why not. */
  async function current(id: string, actor: string): Promise<AgentCall | Response> {
    if (!CALL_ID.test(id)) return problem(404, 'call_not_found', `no call ${id} for ${actor}`);
    const held = registry.get(id);
    if (held !== undefined && held.actor !== actor)
      return problem(404, 'call_not_found', `no call ${id} for ${actor}`);
    if (held !== undefined && held.requestId === null) return viewCall(id, held, null, publicUrl);
    const request = await load(id, actor);
    if (request instanceof Response) return request;
    return viewCall(id, held, request, publicUrl);
  }

  /** The request behind call `id`, if `actor` opened it; another actor's is not found, as a missing one. */
  async function load(id: string, actor: string): Promise<ApprovalRequest | Response> {
    if (!id.startsWith('req_')) return problem(404, 'call_not_found', `no call ${id} for ${actor}`);
    let request: ApprovalRequest | null;
    try {
      request = await cs.getRequest(id);
    } catch (error) {
      return errorResponse(error);
    }
    if (request === null || request.actor !== actor)
      return problem(404, 'call_not_found', `no call ${id} for ${actor}`);
    return request;
  }

  return {
    async close() {
      stopping.abort();
      await endRunningCalls(registry);
    },
  };
}
