// The agent client against a fake server: failures first (refusals, outages, malformed answers), then the happy path.
import { describe, expect, test } from 'vitest';
import type { AgentCall } from '../src/agent-api/call.js';
import {
  AgentApiError,
  AgentNetworkError,
  AgentResponseError,
  createAgentClient,
  isAgentClientError,
  WorkloadTokenError,
} from '../src/index.js';

const SERVER = 'http://approvals.test';

function call(overrides: Partial<AgentCall> = {}): AgentCall {
  return {
    callId: 'req_1',
    status: 'pending',
    requestId: 'req_1',
    expiresAt: 1_000_000,
    approvals: { count: 0, required: 1 },
    code: null,
    message: 'waiting for approval by user:bob (1 of 1 needed)',
    approvalUrl: 'https://approvals.test/inbox/requests/req_1',
    grant: null,
    ...overrides,
  };
}

const json = (body: unknown, status = 200, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  body: string;
}

/** A fake server: answers each request with the next of `answers`, and records what it was sent. */
function fake(...answers: (Response | Error | ((request: Request) => Response))[]) {
  const seen: Seen[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    seen.push({
      method: request.method,
      url: request.url,
      authorization: request.headers.get('authorization'),
      body: await request.text(),
    });
    const next = answers.shift();
    if (next === undefined) throw new Error('the fake server has no more answers');
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next(request) : next;
  };
  return { fetch, seen };
}

const OPEN = { action: { name: 'shell.exec' }, reason: 'because', sessionId: 's1' };

describe('refusals and failures', () => {
  test('a problem+json answer is an AgentApiError with status, code, field and detail', async () => {
    const { fetch } = fake(
      json(
        { code: 'invalid_input', detail: 'action.name is missing', field: 'action.name' },
        400,
        'application/problem+json',
      ),
    );
    const client = createAgentClient({ server: SERVER, token: 't', fetch });
    const error = await client.open(OPEN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentApiError);
    expect(error).toMatchObject({
      kind: 'api',
      status: 400,
      code: 'invalid_input',
      field: 'action.name',
      detail: 'action.name is missing',
    });
  });

  test('a forged token: 401 unauthenticated, typed', async () => {
    const { fetch } = fake(json({ code: 'unauthenticated', detail: 'bad signature' }, 401));
    const client = createAgentClient({ server: SERVER, token: 'forged', fetch });
    await expect(client.open(OPEN)).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
  });

  test('an error page that is no problem keeps its status, as http_<status>', async () => {
    const { fetch } = fake(
      new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    const client = createAgentClient({ server: SERVER, token: 't', fetch });
    await expect(client.open(OPEN)).rejects.toMatchObject({
      status: 502,
      code: 'http_502',
      detail: 'Bad Gateway',
    });
  });

  test('an unreachable server is an AgentNetworkError naming the origin, never the token', async () => {
    const { fetch } = fake(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
    const client = createAgentClient({ server: SERVER, token: 'secret-token-value', fetch });
    const error = await client.open(OPEN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentNetworkError);
    expect(String(error)).toContain('http://approvals.test: ECONNREFUSED');
    expect(String(error)).not.toContain('secret-token-value');
  });

  test.each([
    ['not JSON', new Response('approved', { status: 200 })],
    ['an array', json([])],
    ['an unknown status', json({ ...call(), status: 'ok' })],
    ['a missing message', json({ ...call(), message: undefined })],
    ['a negative approval count', json(call({ approvals: { count: -1, required: 1 } }))],
    ['a callId with a control character', json(call({ callId: 'req_\u001b[2J' }))],
    ['an approval URL that is no http URL', json(call({ approvalUrl: 'javascript:alert(1)' }))],
  ])('a 200 answer that is %s is an AgentResponseError, never a call', async (_what, answer) => {
    const client = createAgentClient({ server: SERVER, token: 't', fetch: fake(answer).fetch });
    await expect(client.open(OPEN)).rejects.toBeInstanceOf(AgentResponseError);
  });

  test('a claim answered without a grant, or for another call, or not running, is refused', async () => {
    const grant = { id: 'grt_1', token: 'cs_grant_x', expiresAt: 2, credentials: null };
    for (const answer of [
      call({ status: 'running' }),
      call({ status: 'approved', grant }),
      call({ callId: 'req_2', status: 'running', grant }),
    ]) {
      const client = createAgentClient({ server: SERVER, token: 't', fetch: fake(json(answer)).fetch });
      await expect(client.claim('req_1')).rejects.toBeInstanceOf(AgentResponseError);
    }
  });

  test('a grant anywhere but in a claim answer is refused', async () => {
    const grant = { id: 'grt_1', token: 'cs_grant_x', expiresAt: 2, credentials: null };
    const client = createAgentClient({
      server: SERVER,
      token: 't',
      fetch: fake(json(call({ status: 'approved', grant })), json(call({ status: 'approved', grant }))).fetch,
    });
    await expect(client.open(OPEN)).rejects.toBeInstanceOf(AgentResponseError);
    await expect(client.get('req_1')).rejects.toBeInstanceOf(AgentResponseError);
  });

  test('an answer over 1 MiB is refused without reading it all', async () => {
    const big = json({ ...call(), message: 'x'.repeat(2 << 20) });
    const client = createAgentClient({ server: SERVER, token: 't', fetch: fake(big).fetch });
    await expect(client.open(OPEN)).rejects.toThrow(/over 1048576 bytes/);
  });

  test('a token function that throws is a WorkloadTokenError, and nothing is sent', async () => {
    const { fetch, seen } = fake(json(call()));
    const client = createAgentClient({
      server: SERVER,
      token: async () => {
        throw new Error('issuer down');
      },
      fetch,
    });
    await expect(client.open(OPEN)).rejects.toBeInstanceOf(WorkloadTokenError);
    expect(seen).toHaveLength(0);
  });

  test('a token with a line break is refused before it reaches a header', async () => {
    const { fetch, seen } = fake(json(call()));
    const client = createAgentClient({ server: SERVER, token: 'a\r\nx-evil: 1', fetch });
    await expect(client.open(OPEN)).rejects.toBeInstanceOf(WorkloadTokenError);
    expect(seen).toHaveLength(0);
  });

  test('a server URL with credentials or a query is refused', () => {
    for (const server of ['http://u:p@x.test', 'http://x.test/?a=1', 'ftp://x.test', 'not a url']) {
      expect(() => createAgentClient({ server, token: 't' })).toThrow(TypeError);
    }
  });

  test('aborting rejects with the signal reason, not a network error', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const client = createAgentClient({ server: SERVER, token: 't', fetch: fake(json(call())).fetch });
    await expect(client.get('req_1', { signal: controller.signal })).rejects.toThrow('stop');
  });

  test('waitForDecision rides out an outage, gives up after `retries` in a row, passes a refusal at once', async () => {
    const down = () => new TypeError('fetch failed');
    const riding = createAgentClient({
      server: SERVER,
      token: 't',
      fetch: fake(json(call()), down(), json(call({ status: 'denied', code: 'approval_denied' }))).fetch,
    });
    expect((await riding.waitForDecision('req_1', { retries: 1 })).code).toBe('approval_denied');
    const failing = createAgentClient({
      server: SERVER,
      token: 't',
      fetch: fake(json(call()), down()).fetch,
    });
    await expect(failing.waitForDecision('req_1', { retries: 0 })).rejects.toBeInstanceOf(AgentNetworkError);
    const refused = createAgentClient({
      server: SERVER,
      token: 't',
      fetch: fake(json({ code: 'call_not_found', detail: 'no such call' }, 404)).fetch,
    });
    const error = await refused.waitForDecision('req_1').catch((e: unknown) => e);
    expect(isAgentClientError(error) && error.kind).toBe('api');
  });
});

describe('the calls', () => {
  test('open posts the body with a fresh token per request', async () => {
    const { fetch, seen } = fake(json(call()), json(call()));
    let n = 0;
    const client = createAgentClient({ server: `${SERVER}/base`, token: async () => `tok${++n}`, fetch });
    expect(await client.open(OPEN)).toEqual(call());
    await client.get('req_1');
    expect(seen.map((s) => [s.method, s.url, s.authorization])).toEqual([
      ['POST', 'http://approvals.test/base/v1/calls', 'Bearer tok1'],
      ['GET', 'http://approvals.test/base/v1/calls/req_1', 'Bearer tok2'],
    ]);
    expect(JSON.parse(seen[0]!.body)).toEqual(OPEN);
  });

  test('waitForDecision long-polls with the known status until the call is decided, reporting changes', async () => {
    const { fetch, seen } = fake(
      json(call({ approvals: { count: 0, required: 2 } })),
      json(call({ approvals: { count: 1, required: 2 } })),
      json(call({ approvals: { count: 1, required: 2 } })),
      json(call({ status: 'approved', approvals: { count: 2, required: 2 } })),
    );
    let now = 0;
    const client = createAgentClient({ server: SERVER, token: 't', fetch, now: () => now });
    const updates: string[] = [];
    const decided = await client.waitForDecision('req_1', {
      deadline: 100_000,
      pollSeconds: 30,
      onUpdate: (c) => {
        updates.push(`${c.status} ${c.approvals?.count}`);
        now += 10_000;
      },
    });
    expect(decided.status).toBe('approved');
    expect(updates).toEqual(['pending 0', 'pending 1', 'approved 2']);
    expect(seen.map((s) => s.url.replace(SERVER, ''))).toEqual([
      '/v1/calls/req_1',
      '/v1/calls/req_1?wait=30s&status=pending',
      '/v1/calls/req_1?wait=30s&status=pending',
      '/v1/calls/req_1?wait=30s&status=pending',
    ]);
  });

  test('waitForDecision stops at its deadline with the call still pending, shortening the last poll', async () => {
    let now = 0;
    const { fetch, seen } = fake(json(call()), () => {
      now = 5_000;
      return json(call());
    });
    const client = createAgentClient({ server: SERVER, token: 't', fetch, now: () => now });
    const result = await client.waitForDecision('req_1', { deadline: 4_500 });
    expect(result.status).toBe('pending');
    expect(seen[1]!.url).toBe(`${SERVER}/v1/calls/req_1?wait=5s&status=pending`);
  });

  test('claim returns the running call with its grant; outcome posts the status and detail', async () => {
    const grant = { id: 'grt_1', token: 'cs_grant_x', expiresAt: 2, credentials: { PGUSER: 'cs_jit_1' } };
    const { fetch, seen } = fake(json(call({ status: 'running', grant })), json(call({ status: 'failed' })));
    const client = createAgentClient({ server: SERVER, token: 't', fetch });
    expect((await client.claim('req_1')).grant).toEqual(grant);
    expect((await client.outcome('req_1', { status: 'failed', detail: 'exit status 3' })).status).toBe(
      'failed',
    );
    expect(seen.map((s) => `${s.method} ${s.url.replace(SERVER, '')} ${s.body}`)).toEqual([
      'POST /v1/calls/req_1/claim {}',
      'POST /v1/calls/req_1/outcome {"status":"failed","detail":"exit status 3"}',
    ]);
  });
});
