import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCountersign, type PolicyRule } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { createPostgresStore } from '@countersign/postgres-store';
import { ACTION, createSlackTransport } from '@countersign/slack-transport';
import { createSlackEmulator } from '@countersign/slack-transport/testing';
import { afterEach, describe, expect, test } from 'vitest';
import {
  type ApprovalServer,
  type ApprovalServerConfig,
  applyEnv,
  createApprovalServer,
  createJsonLogger,
  createWebhookTransport,
  type Listening,
  listen,
  serve,
  silentLogger,
} from '../src/index.js';
import { AUDIENCE, hmacSecret, ISSUER, type TestIssuer, testIssuer } from './helpers.js';
import { dropSchema, PG_URL, randomSchema } from './pg-helpers.js';
import { startReceiver, type TestReceiver } from './webhook-receiver-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const directory = {
  'user:alice': { groups: ['data-owners'] },
  'user:bob': { groups: ['data-owners'] },
  'user:carol': { groups: ['data-owners'] },
};
const policy: PolicyRule[] = [
  {
    id: 'exports-need-approval',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { groups: ['data-owners'] },
    quorum: 1,
    requestTtl: '10m',
  },
];

async function jwksServer(issuer: TestIssuer): Promise<Listening> {
  const server = await listen(() => Response.json(issuer.jwks));
  cleanups.push(() => server.close(100));
  return server;
}

async function start(extra: Partial<ApprovalServerConfig> = {}) {
  const issuer = await testIssuer();
  const jwks = await jwksServer(issuer);
  const schema = randomSchema();
  cleanups.push(() => dropSchema(schema));
  const secret = hmacSecret();
  const receiver: TestReceiver = await startReceiver({ secret });
  cleanups.push(() => receiver.close());
  const lines: string[] = [];
  const server: ApprovalServer = await createApprovalServer(
    {
      port: 0,
      database: { url: PG_URL, schema },
      policy,
      directory,
      oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: `${jwks.url}/jwks` },
      webhooks: [{ url: receiver.url, secret }],
      auditors: ['user:carol'],
      sweepSeconds: 0,
      ...extra,
    },
    { logger: createJsonLogger((line) => lines.push(line)) },
  );
  cleanups.push(() => server.close());
  const url = await server.listen();
  return { issuer, schema, secret, receiver, server, url, lines };
}

describe('the approval server over PostgreSQL', () => {
  test('an agent in another instance waits; a decision through the API resumes it; webhooks and logs follow', async () => {
    const { issuer, schema, secret, receiver, url, lines } = await start();
    const agentStore = createPostgresStore({ connectionString: PG_URL, schema });
    const agent = createCountersign({
      store: agentStore,
      policy,
      directory,
      transports: [createWebhookTransport({ url: receiver.url, secret, logger: { warn() {} } })],
    });
    cleanups.push(() => agent.close());
    const outcome = agent.guard(
      {
        name: 'db.export',
        resource: 'prod/customers',
        params: { table: 'customers' },
        run: () => 'exported',
      },
      { actor: 'agent:report-bot', onBehalfOf: 'user:alice', sessionId: 's1', reason: 'churn report' },
    );
    const token = await issuer.token({ sub: 'bob' });
    let id: string | undefined;
    for (let i = 0; i < 200 && id === undefined; i++) {
      const list = (await (
        await fetch(`${url}/requests`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as {
        items: { id: string }[];
      };
      id = list.items[0]?.id;
      if (id === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(id).toBeDefined();
    const decided = await fetch(`${url}/requests/${id}/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'approve', comment: 'ok' }),
    });
    expect(decided.status).toBe(200);
    expect(await outcome).toBe('exported');
    await agent.close();
    const types = () => receiver.events.map((e) => e.type.replace('dev.countersign.request.', ''));
    for (let i = 0; i < 100 && !types().includes('approved'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(types()).toEqual(expect.arrayContaining(['requested', 'decided', 'approved', 'executed']));
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const log = lines.join('');
    expect(log).toContain('"msg":"request"');
    expect(log).toContain('"msg":"migrations applied"');
    expect(log).not.toContain(token);
    expect(log).not.toContain(secret.slice(6));
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  test('the inbox is served, and health fails once the server is closed', async () => {
    const { url, server } = await start();
    const inbox = await fetch(`${url}/inbox`);
    expect(inbox.status).toBe(200);
    expect(inbox.headers.get('content-security-policy')).toContain("default-src 'none'");
    await server.close();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

describe('the Slack interaction endpoint', () => {
  test('a click in Slack (the emulator) reaches the server, which decides; the agent in another instance resumes', async () => {
    const slack = createSlackEmulator();
    await slack.start();
    cleanups.push(() => slack.close());
    const approver = `slack:${slack.team.id}:U0BOB`;
    const slackPolicy: PolicyRule[] = [{ ...(policy[0] as PolicyRule), approvers: { users: [approver] } }];
    const slackConfig = {
      token: slack.token,
      signingSecret: slack.signingSecret,
      channel: 'C0APPROVALS',
      teamId: slack.team.id,
      slackApiUrl: slack.apiUrl,
    };
    const { url, schema } = await start({ policy: slackPolicy, slack: slackConfig });
    slack.setInteractionUrl(`${url}/slack/interactions`);
    const agent = createCountersign({
      store: createPostgresStore({ connectionString: PG_URL, schema }),
      policy: slackPolicy,
      transports: [createSlackTransport(slackConfig)],
    });
    cleanups.push(() => agent.close());
    agent.once('delivered', (event) => {
      const ref = event.request?.deliveries.find((d) => d.transport === 'slack')?.ref;
      if (ref?.channel && ref.ts)
        void slack.click({ user: 'U0BOB', channel: ref.channel, ts: ref.ts, actionId: ACTION.Approve });
    });
    const result = await agent.guard(
      {
        name: 'db.export',
        resource: 'prod/customers',
        params: { table: 'customers' },
        run: () => 'exported',
      },
      { actor: 'agent:report-bot', onBehalfOf: 'user:alice', sessionId: 's-slack', reason: 'churn report' },
    );
    expect(result).toBe('exported');
  });

  test('with publicUrl and the inbox on, a Slack message the server cut links to the inbox page', async () => {
    const slack = createSlackEmulator();
    await slack.start();
    cleanups.push(() => slack.close());
    const approver = `slack:${slack.team.id}:U0BOB`;
    const slackPolicy: PolicyRule[] = [{ ...(policy[0] as PolicyRule), approvers: { users: [approver] } }];
    const slackConfig = {
      token: slack.token,
      signingSecret: slack.signingSecret,
      channel: 'C0APPROVALS',
      teamId: slack.team.id,
      slackApiUrl: slack.apiUrl,
    };
    const { url, server } = await start({
      policy: slackPolicy,
      slack: slackConfig,
      publicUrl: 'https://approvals.example',
    });
    slack.setInteractionUrl(`${url}/slack/interactions`);
    const outcome = server.countersign
      .guard(
        { name: 'db.export', resource: 'prod/customers', params: { body: 'x'.repeat(3_000) }, run: () => 1 },
        { actor: 'agent:report-bot', onBehalfOf: 'user:alice', sessionId: 's-cut', reason: 'churn report' },
      )
      .catch((error: unknown) => error);
    for (let i = 0; i < 500 && slack.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const posted = JSON.stringify(slack.messages[0]?.message.blocks);
    const id = /inbox\/requests\/(req_[a-z0-9]+)>/.exec(posted)?.[1];
    expect(posted).toContain(`<https://approvals.example/inbox/requests/${id}>`);
    await server.countersign.decide(id!, { approver, outcome: 'deny' });
    expect(await outcome).toMatchObject({ code: 'approval_denied' });
  });

  test('is served with Slack configured, and refuses an unsigned click', async () => {
    const { url } = await start({
      slack: {
        token: 'xoxb-test',
        signingSecret: 'signing-secret-for-tests',
        channel: 'C0TEST',
        teamId: 'T0TEST',
        slackApiUrl: 'http://127.0.0.1:9/api/',
      },
    });
    const unsigned = await fetch(`${url}/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payload=%7B%7D',
    });
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    expect(unsigned.status).toBeLessThan(500);
    expect([404, 405]).not.toContain(unsigned.status);
    expect(unsigned.headers.get('x-content-type-options')).toBe('nosniff');
    expect(unsigned.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${url}/slack/interactions`)).status).toBe(405);
  });
});

describe('configuration', () => {
  test('environment variables override the file and unknown keys are refused', () => {
    const config = applyEnv(
      { port: 1, database: { schema: 'x' } },
      {
        COUNTERSIGN_PORT: '9000',
        COUNTERSIGN_PG_URL: 'postgres://db/x',
        OIDC_ISSUER: 'https://id',
        SLACK_BOT_TOKEN: 'xoxb-1',
      },
    );
    expect(config.port).toBe(9000);
    expect(config.database).toEqual({ schema: 'x', url: 'postgres://db/x' });
    expect(config.oidc?.issuer).toBe('https://id');
    expect(config.slack?.token).toBe('xoxb-1');
    expect(() => applyEnv({ prot: 1 } as never, {})).toThrow(/unknown option "prot"/);
  });

  test('oidc.requireAccessTokens and oidc.maxTokenLifetimeSeconds reach the verifier', async () => {
    const issuer = await testIssuer();
    const jwks = await jwksServer(issuer);
    const server = await createApprovalServer(
      {
        oidc: {
          issuer: ISSUER,
          audience: AUDIENCE,
          jwksUrl: `${jwks.url}/jwks`,
          requireAccessTokens: true,
          maxTokenLifetimeSeconds: 600,
        },
        sweepSeconds: 0,
      },
      { store: createMemoryStore(), logger: silentLogger },
    );
    cleanups.push(() => server.close());
    const status = async (token: string) =>
      (
        await server.fetch(
          new Request('http://x/requests', { headers: { authorization: `Bearer ${token}` } }),
        )
      ).status;
    expect(await status(await issuer.token({ sub: 'bob' }, { typ: 'at+jwt' }))).toBe(200);
    expect(await status(await issuer.token({ sub: 'bob' }))).toBe(401);
    expect(await status(await issuer.token({ sub: 'bob' }, { typ: 'at+jwt', expiresIn: '1h' }))).toBe(401);
    await expect(
      createApprovalServer(
        {
          oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: `${jwks.url}/jwks`, maxLifetime: 5 } as never,
        },
        { store: createMemoryStore(), logger: silentLogger },
      ),
    ).rejects.toThrow(/unknown option "maxLifetime" in oidc/);
  });

  test('serve reads --config, and a file with an unknown key exits 3 naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-http-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ port: 0, databse: {} }));
    const errors: string[] = [];
    const logger = createJsonLogger((line) => errors.push(line));
    expect(await serve(['--config', bad], { logger, stdout: () => {}, env: {} })).toBe(3);
    expect(errors.join('')).toContain('unknown option \\"databse\\"');
    const issuer = await testIssuer();
    const jwks = await jwksServer(issuer);
    const schema = randomSchema();
    cleanups.push(() => dropSchema(schema));
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        port: 0,
        database: { url: PG_URL, schema },
        policy,
        directory,
        oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: `${jwks.url}/jwks` },
        sweepSeconds: 0,
      }),
    );
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const token = await issuer.token({ sub: 'bob' });
    let listed = 0;
    const code = serve([`--config=${good}`], {
      logger: createJsonLogger(() => {}),
      stdout: () => {},
      env: {},
      stopped,
      onListening: (url) => {
        fetch(`${url}/requests`, { headers: { authorization: `Bearer ${token}` } })
          .then((response) => {
            listed = response.status;
          })
          .finally(stop);
      },
    });
    expect(await code).toBe(0);
    expect(listed).toBe(200);
  });

  test('serve: usage errors exit 2, bad configuration 3, a clean stop 0', async () => {
    const quiet = { logger: createJsonLogger(() => {}), stdout: () => {} };
    expect(await serve(['--bogus'], quiet)).toBe(2);
    expect(await serve(['--config', '/nonexistent/countersign.json'], quiet)).toBe(3);
    expect(await serve([], { ...quiet, env: {} })).toBe(3);
    const issuer = await testIssuer();
    const jwks = await jwksServer(issuer);
    const schema = randomSchema();
    cleanups.push(() => dropSchema(schema));
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let url = '';
    const code = serve([], {
      ...quiet,
      env: {
        COUNTERSIGN_PORT: '0',
        COUNTERSIGN_PG_URL: PG_URL,
        COUNTERSIGN_PG_SCHEMA: schema,
        OIDC_ISSUER: ISSUER,
        OIDC_AUDIENCE: AUDIENCE,
        OIDC_JWKS_URL: `${jwks.url}/jwks`,
      },
      stopped,
      onListening: (listening) => {
        url = listening;
        fetch(`${url}/healthz`).then(
          (response) => response.status === 200 && stop(),
          () => {},
        );
      },
    });
    expect(await code).toBe(0);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
