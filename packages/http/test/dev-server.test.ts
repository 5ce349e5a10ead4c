import { createCountersign } from '@countersign/core';
import { createTestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { createPostgresStore } from '@countersign/postgres-store';
import { afterEach, describe, expect, test } from 'vitest';
import { isLoopbackHost, startDevServer } from '../src/dev-server.js';
import { createDevSignInCodes } from '../src/dev-sign-in-codes.js';
import {
  createApprovalServer,
  createJsonLogger,
  type Listening,
  listen,
  serve,
  silentLogger,
} from '../src/index.js';
import { AUDIENCE, ISSUER, testIssuer } from './helpers.js';
import { dropSchema, PG_URL, randomSchema } from './pg-helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs `countersign serve <argv>` in-process until the test ends; resolves with what it printed. */
type Run =
  | { exitedWith: number; printed: string[]; logs: string[] }
  | { url: string; link: string; printed: string[]; logs: string[] };

async function runServe(argv: string[]): Promise<Run> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const printed: string[] = [];
  const logs: string[] = [];
  let listening!: (url: string) => void;
  const url = new Promise<string>((resolve) => {
    listening = resolve;
  });
  const exit = serve(argv, {
    stdout: (text) => printed.push(text),
    logger: createJsonLogger((line) => logs.push(line)),
    stopped,
    onListening: (at) => listening(at),
  });
  const started = await Promise.race([url, exit.then((code) => ({ exitedWith: code }))]);
  if (typeof started !== 'string') return { exitedWith: started.exitedWith, printed, logs };
  cleanups.push(async () => {
    stop();
    expect(await exit).toBe(0);
  });
  // The banner is printed right after listening.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const link = /(http:\/\/127\.0\.0\.1:\d+\/inbox\/dev-sign-in\?code=[A-Za-z0-9_-]+)/.exec(
    printed.join(''),
  )?.[1];
  return { url: started, link: link as string, printed, logs };
}

async function startServe(argv: string[]) {
  const run = await runServe(argv);
  if (!('url' in run)) throw new Error(`serve exited with ${run.exitedWith}: ${run.logs.join('')}`);
  return run;
}

async function refusedWith(argv: string[]) {
  const run = await runServe(argv);
  if ('url' in run) throw new Error('serve started');
  return run;
}

/** A browser's cookie jar for one site, enough for the inbox's one cookie. */
function browser() {
  let cookie: string | null = null;
  return async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    const set = response.headers.get('set-cookie');
    if (set !== null) cookie = set.split(';')[0] as string;
    return response;
  };
}

describe('countersign serve --dev', () => {
  test.each(['0.0.0.0', '::', '192.168.1.20', 'example.com', '[::]', '10.0.0.1'])(
    'refuses the non-loopback host %s with exit 2, and listens nowhere',
    async (host) => {
      const run = await refusedWith(['--dev', '--port', '0', '--host', host]);
      expect(run.exitedWith).toBe(2);
      expect(run.logs.join('')).toContain('development mode listens on loopback only');
    },
  );

  test('loopback hosts are exactly 127.0.0.0/8, ::1 and localhost', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of [
      '0.0.0.0',
      '::',
      '::ffff:10.0.0.1',
      '128.0.0.1',
      'localhost.example.com',
      '1.127.0.0.1',
      '',
    ])
      expect(isLoopbackHost(host)).toBe(false);
  });

  test('refuses unknown flags, --config and a bad --as (exit 2), and never reads the environment', async () => {
    expect((await refusedWith(['--dev', '--config', 'x.json'])).exitedWith).toBe(2);
    expect((await refusedWith(['--dev', '--port', '0', '--as', 'dev'])).exitedWith).toBe(2);
    expect((await refusedWith(['--dev', '--port', '0', '--as', 'agent:demo'])).exitedWith).toBe(2);
  });

  test('the printed link signs in once and only once, and says development mode in the log', async () => {
    const run = await startServe(['--dev', '--port', '0']);
    expect(run.link).toBeDefined();
    const first = browser();
    const signedIn = await first(run.link);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/inbox');
    const inbox = await first(`${run.url}/inbox`);
    expect(await inbox.text()).toContain('user:dev');
    // Second use, from another browser: refused, and no session.
    const second = browser();
    const again = await second(run.link);
    expect(again.status).toBe(403);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await (await second(`${run.url}/inbox`)).text()).not.toContain('user:dev');
    // A made-up code is refused too.
    expect((await second(`${run.url}/inbox/dev-sign-in?code=guess`)).status).toBe(403);
    const logs = run.logs.join('');
    expect(logs).toMatch(/"level":"warn","msg":"development mode/);
    // The code is only in the printed link, never in a log line.
    const code = new URL(run.link).searchParams.get('code') as string;
    expect(logs).not.toContain(code);
  });
});

describe('one-time sign-in codes', () => {
  test('the printed agent token asks through the agent API as agent:dev, and cannot decide', async () => {
    const run = await startServe(['--dev', '--port', '0']);
    const printed = run.printed.join('');
    const token = /COUNTERSIGN_TOKEN=(\S+)/.exec(printed)?.[1] as string;
    expect(printed).toContain(`COUNTERSIGN_SERVER=${run.url}`);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const opened = await fetch(`${run.url}/v1/calls`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        action: { name: 'deploy', params: { v: 1 } },
        reason: 'try it',
        sessionId: 's1',
      }),
    });
    expect(opened.status).toBe(200);
    const call = (await opened.json()) as { status: string; requestId: string };
    expect(call.status).toBe('pending');
    const decide = await fetch(`${run.url}/requests/${call.requestId}/decisions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ outcome: 'approve' }),
    });
    expect(decide.status).toBe(403);
    // The token is only printed, never logged.
    expect(run.logs.join('')).not.toContain(token);
  });

  test('work once, until they expire', async () => {
    const clock = createTestClock();
    const codes = createDevSignInCodes(600_000, clock);
    const early = codes.issue();
    const late = codes.issue();
    const spare = codes.issue();
    await clock.advance(599_999);
    expect(codes.redeem(early)).toBe(true);
    expect(codes.redeem(early)).toBe(false);
    expect(codes.redeem('')).toBe(false);
    await clock.advance(1);
    expect(codes.redeem(late)).toBe(false);
    // Refused for expiry is spent too.
    expect(codes.redeem(late)).toBe(false);
    expect(codes.redeem(`${spare}x`)).toBe(false);
  });

  test('an expired link is refused by the server', async () => {
    const clock = createTestClock(Date.now());
    const dev = await startDevServer({ port: 0, logger: silentLogger, clock });
    cleanups.push(() => dev.close());
    const link = dev.signInLink();
    await clock.advance(600_000);
    const response = await fetch(link, { redirect: 'manual' });
    expect(response.status).toBe(403);
    expect(response.headers.get('set-cookie')).toBeNull();
  });
});

describe('without --dev', () => {
  test('there is no dev sign-in route', async () => {
    const issuer = await testIssuer();
    const jwks: Listening = await listen(() => Response.json(issuer.jwks));
    cleanups.push(() => jwks.close(100));
    const server = await createApprovalServer(
      { oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: `${jwks.url}/jwks` }, sweepSeconds: 0 },
      { store: createMemoryStore(), logger: silentLogger },
    );
    cleanups.push(() => server.close());
    const response = await server.fetch(new Request('http://127.0.0.1/inbox/dev-sign-in?code=anything'));
    expect(response.status).toBe(404);
    expect(response.headers.get('set-cookie')).toBeNull();
  });
});

describe('end to end', () => {
  test('an agent opens a request in PostgreSQL; the person follows the link and approves in the inbox', async () => {
    const schema = randomSchema();
    cleanups.push(() => dropSchema(schema));
    const run = await startServe(['--dev', '--port', '0', '--database-url', PG_URL, '--schema', schema]);
    expect(run.printed.join('')).not.toContain(PG_URL);
    const store = createPostgresStore({ connectionString: PG_URL, schema });
    const agent = createCountersign({
      store,
      transports: [],
      policy: [
        {
          id: 'exports',
          match: { action: 'db.export' },
          effect: 'require_approval',
          approvers: { users: ['user:dev'] },
        },
      ],
      directory: { 'user:dev': {} },
    });
    cleanups.push(() => agent.close());
    const call = { name: 'db.export', resource: 'prod/customers', params: { table: 'customers' } };
    const context = {
      actor: 'agent:report-bot',
      reason: 'monthly report',
      sessionId: 's1',
      idempotencyKey: 'k1',
    };
    const opened = await agent.open(call, context);
    expect(opened.status).toBe('pending');
    const requestId = (opened as { requestId: string }).requestId;

    const person = browser();
    expect((await person(run.link)).status).toBe(303);
    const page = await (await person(`${run.url}/inbox/requests/${requestId}`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    expect(csrf).toBeDefined();
    const decided = await person(`${run.url}/inbox/requests/${requestId}/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: run.url },
      body: new URLSearchParams({ csrf, outcome: 'approve' }).toString(),
    });
    expect(decided.status).toBe(303);
    expect((await store.getRequest(requestId))?.status).toBe('approved');
    expect((await agent.open(call, context)).status).toBe('approved');
  });
});
