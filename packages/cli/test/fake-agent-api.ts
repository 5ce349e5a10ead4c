// A small stand-in for the agent API on 127.0.0.1, scripted by the test: calls are decided by hand.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentCall, OpenCallBody, OutcomeBody } from '@countersign/http';

export const GOOD_TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2ln';

export interface FakeCall {
  call: AgentCall;
  body: OpenCallBody;
  outcome: OutcomeBody | null;
  claims: number;
}

export interface FakeAgentApi {
  url: string;
  calls: FakeCall[];
  /** Every Authorization header seen. */
  tokens: string[];
  /** What `open` answers for a new call: `pending` (default) or `allowed`. */
  openAs: 'pending' | 'allowed';
  /** Refusals the next claims get first, as a restarted server answers (`call_not_held`). */
  claimRefusals: string[];
  decide(callId: string, status: 'approved' | 'denied' | 'expired'): void;
  /** Resolves with the call once one is opened (the n-th, counting from 1). */
  opened(n?: number): Promise<FakeCall>;
  close(): Promise<void>;
}

export async function startFakeAgentApi(): Promise<FakeAgentApi> {
  const calls: FakeCall[] = [];
  const tokens: string[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };
  let next = 1;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, {
      'content-type': status < 400 ? 'application/json' : 'application/problem+json',
    });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, status: number, code: string, detail: string) =>
    send(res, status, { type: `about:blank`, title: code, status, code, detail });
  const read = async (req: IncomingMessage) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    return text === '' ? null : JSON.parse(text);
  };

  const server = createServer(async (req, res) => {
    const authorization = req.headers.authorization ?? '';
    const url = new URL(req.url ?? '/', 'http://x');
    tokens.push(authorization);
    if (authorization !== `Bearer ${GOOD_TOKEN}`) return refuse(res, 401, 'unauthenticated', 'bad token');
    const body = await read(req);
    if (req.method === 'POST' && url.pathname === '/v1/calls') {
      const open = body as OpenCallBody;
      const existing = calls.find(
        (c) => c.body.idempotencyKey === open.idempotencyKey && c.body.sessionId === open.sessionId,
      );
      if (existing !== undefined) return send(res, 200, existing.call);
      const id = `req_${next++}`;
      const pending = fake.openAs === 'pending';
      const call: AgentCall = {
        callId: id,
        status: fake.openAs,
        requestId: pending ? id : null,
        expiresAt: Date.now() + 600_000,
        approvals: pending ? { count: 0, required: 1 } : null,
        code: null,
        message: pending ? 'waiting for approval by user:bob (1 of 1 needed)' : 'allowed by policy',
        approvalUrl: pending ? `http://127.0.0.1/inbox/requests/${id}` : null,
        grant: null,
      };
      calls.push({ call, body: open, outcome: null, claims: 0 });
      wake();
      return send(res, 200, call);
    }
    const match = /^\/v1\/calls\/([^/]+)(\/claim|\/outcome)?$/.exec(url.pathname);
    const entry = calls.find((c) => c.call.callId === match?.[1]);
    if (match === null || entry === undefined) return refuse(res, 404, 'call_not_found', 'no such call');
    if (req.method === 'GET') {
      const known = url.searchParams.get('status') ?? entry.call.status;
      const wait = Number.parseInt(url.searchParams.get('wait') ?? '0', 10);
      if (wait > 0 && entry.call.status === known) {
        await new Promise<void>((resolve) => {
          const finish = () => {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          };
          const check = () => {
            if (entry.call.status !== known) finish();
          };
          const timer = setTimeout(finish, wait * 1000);
          waiters.add(check);
          res.on('close', finish);
        });
      }
      return send(res, 200, entry.call);
    }
    if (match[2] === '/claim') {
      const refusal = fake.claimRefusals.shift();
      if (refusal !== undefined) return refuse(res, 409, refusal, 'open it again, then claim');
      if (entry.claims++ > 0) return refuse(res, 409, 'already_claimed', 'claimed already');
      if (entry.call.status !== 'approved' && entry.call.status !== 'allowed') {
        return refuse(res, 409, 'not_approved', 'not approved');
      }
      entry.call = { ...entry.call, status: 'running' };
      const grant = {
        id: 'grt_1',
        token: 'cs_grant_secret',
        expiresAt: Date.now() + 60_000,
        credentials: { connectionString: 'postgres://cs_jit_1:pw%40x@db.test:5433/test' },
      };
      return send(res, 200, { ...entry.call, grant });
    }
    const outcome = body as OutcomeBody;
    entry.outcome = outcome;
    entry.call = { ...entry.call, status: outcome.status };
    return send(res, 200, entry.call);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const fake: FakeAgentApi = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    tokens,
    openAs: 'pending',
    claimRefusals: [],
    decide(callId, status) {
      const entry = calls.find((c) => c.call.callId === callId)!;
      const code = status === 'denied' ? 'approval_denied' : status === 'expired' ? 'approval_expired' : null;
      entry.call = {
        ...entry.call,
        status: status === 'approved' ? 'approved' : 'denied',
        code,
        message: code === null ? 'approved by user:bob' : `${code} by user:bob`,
        approvals: { count: status === 'approved' ? 1 : 0, required: 1 },
      };
      wake();
    },
    opened(n = 1) {
      return new Promise((resolve) => {
        const look = () => {
          const found = calls[n - 1];
          if (found === undefined) return;
          waiters.delete(look);
          resolve(found);
        };
        waiters.add(look);
        look();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
