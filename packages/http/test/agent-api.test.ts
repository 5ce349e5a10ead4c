import { verifyAuditLog } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import type { AgentCall } from '../src/index.js';
import { type AgentFixture, agentFixture, CI_AUDIENCE, CI_ISSUER, json, MIGRATE } from './agent-helpers.js';
import { testIssuer } from './helpers.js';

let fx: AgentFixture;
afterEach(async () => {
  await fx?.close();
});

async function approved(): Promise<AgentCall> {
  const call = await fx.open();
  expect(call.status).toBe('pending');
  expect((await fx.approve(call.callId)).status).toBe(200);
  return call;
}

async function auditTypes(): Promise<string[]> {
  return (await fx.cs.audit.entries()).map((entry) => entry.type);
}

describe('who may call: workloads, never approvers, never deciders', () => {
  test('an agent token on the decision routes is refused as an agent, and decides nothing', async () => {
    fx = await agentFixture();
    const call = await fx.open();
    const token = await fx.agentToken();
    for (const [path, method] of [
      [`/requests/${call.callId}/decisions`, 'POST'],
      [`/requests/${call.callId}`, 'GET'],
      ['/requests', 'GET'],
    ] as const) {
      const response = await fx.app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ outcome: 'approve' }) : null,
      });
      expect(response.status).toBe(403);
      expect((await json(response)).code).toBe('agent_cannot_decide');
    }
    expect((await fx.cs.getRequest(call.callId))?.decisions).toEqual([]);
    // Nor can it sign in to the inbox.
    const signIn = await fx.app.request('/inbox/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, next: '/inbox' }),
    });
    expect(signIn.headers.get('set-cookie') ?? '').not.toMatch(/session/i);
  });

  test('the actor is never a body field', async () => {
    fx = await agentFixture();
    const response = await fx.agent('/v1/calls', { body: { ...MIGRATE, actor: 'user:bob' } });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: 'invalid_input', field: 'actor' });
    expect(await auditTypes()).toEqual([]);
  });

  test('forged, expired, foreign-audience, not-yet-valid and claim-less tokens are refused; nothing is written', async () => {
    fx = await agentFixture();
    const stranger = await testIssuer('ci-key');
    const tokens = {
      forged: await stranger.token(
        { repository: 'acme/infra', repository_owner: 'acme' },
        { issuer: CI_ISSUER, audience: CI_AUDIENCE },
      ),
      expired: await fx.agentToken({}, { expiresIn: Math.floor(Date.now() / 1000) - 3600 }),
      audience: await fx.agentToken({}, { audience: 'https://github.com/acme' }),
      notYet: await fx.agentToken({}, { notBefore: '10m' }),
      noRepository: await fx.agentToken({ repository: '' }),
      otherOwner: await fx.agentToken({ repository_owner: 'evil' }),
    };
    for (const [name, token] of Object.entries(tokens)) {
      const response = await fx.agent('/v1/calls', { body: MIGRATE, token });
      expect(response.status, name).toBe(401);
      expect((await json(response)).code, name).toBe('unauthenticated');
    }
    const none = await fx.app.request('/v1/calls', { method: 'POST', body: JSON.stringify(MIGRATE) });
    expect(none.status).toBe(401);
    expect(await auditTypes()).toEqual([]);
  });

  test("an approver's token cannot open calls unless the configuration says so", async () => {
    fx = await agentFixture();
    const bob = await fx.approvers.token({ sub: 'bob' });
    const refused = await fx.agent('/v1/calls', { body: MIGRATE, token: bob });
    expect(refused.status).toBe(403);
    expect((await json(refused)).code).toBe('not_an_agent');
    await fx.close();

    fx = await agentFixture({ agents: { approversMayOpen: true } });
    const opened = await fx.agent('/v1/calls', {
      body: MIGRATE,
      token: await fx.approvers.token({ sub: 'carol' }),
    });
    expect(opened.status).toBe(200);
    const request = await fx.cs.getRequest(((await json(opened)) as unknown as AgentCall).callId);
    expect(request?.actor).toBe('user:carol');
    // Carol asked, so only Bob may approve.
    expect((await fx.approve(request!.id, 'user:carol')).status).toBe(403);
  });

  test("another actor's call is not found, for reading, claiming and reporting", async () => {
    fx = await agentFixture();
    const call = await approved();
    const other = await fx.agentToken({ repository: 'acme/other' });
    for (const [path, body] of [
      [`/v1/calls/${call.callId}`, undefined],
      [`/v1/calls/${call.callId}/claim`, {}],
      [`/v1/calls/${call.callId}/outcome`, { status: 'executed' }],
    ] as const) {
      const response = await fx.agent(path, { body, token: other });
      expect(response.status, path).toBe(404);
      expect((await json(response)).code).toBe('call_not_found');
    }
    expect((await fx.cs.getRequest(call.callId))?.grantId).toBeNull();
  });
});

describe('bad input: a typed problem naming the field, nothing written', () => {
  test.each([
    [{ ...MIGRATE, extra: 1 }, 'extra'],
    [{ ...MIGRATE, action: { ...MIGRATE.action, run: 'x' } }, 'action.run'],
    [{ ...MIGRATE, action: { ...MIGRATE.action, params: [1] } }, 'action.params'],
    [{ ...MIGRATE, action: { ...MIGRATE.action, risk: 'extreme' } }, 'action.risk'],
    [{ ...MIGRATE, reason: 5 }, 'reason'],
    [{ action: MIGRATE.action, reason: 'r' }, 'sessionId'],
    ['{"action":', 'body'],
  ])('%j → field %s', async (body, field) => {
    fx = await agentFixture();
    const response = await fx.agent('/v1/calls', { body });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: 'invalid_input', field });
    expect(await auditTypes()).toEqual([]);
  });

  test('params must be plain JSON as guard() requires; an oversized body is refused before parsing', async () => {
    fx = await agentFixture();
    const deep = await fx.agent('/v1/calls', {
      body: {
        ...MIGRATE,
        action: { ...MIGRATE.action, params: { name: 'a\u202Eb'.repeat(1) } },
        sessionId: '\u0000',
      },
    });
    expect(deep.status).toBe(400);
    const big = await fx.agent('/v1/calls', { body: { ...MIGRATE, reason: 'x'.repeat(20_000) } });
    expect(big.status).toBe(413);
    const type = await fx.agent('/v1/calls', { body: MIGRATE, headers: { 'content-type': 'text/plain' } });
    expect(type.status).toBe(415);
    expect(await auditTypes()).toEqual([]);
  });

  test('wait is bounded at 60 s and unknown query parameters are refused', async () => {
    fx = await agentFixture();
    const call = await fx.open();
    expect((await fx.agent(`/v1/calls/${call.callId}?wait=61s`)).status).toBe(400);
    expect((await fx.agent(`/v1/calls/${call.callId}?wait=2m`)).status).toBe(400);
    expect((await fx.agent(`/v1/calls/${call.callId}?after=1`)).status).toBe(400);
    expect((await fx.agent(`/v1/calls/${call.callId}?wait=1m&status=approved`)).status).toBe(200);
  });
});

describe('claims: exactly one grant, only for an allowed or approved call', () => {
  test('a claim twice, and claims racing, issue exactly one grant', async () => {
    fx = await agentFixture();
    const call = await approved();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} })),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
    for (const answer of answers.filter((a) => a.status === 409)) {
      expect((await json(answer)).code).toBe('already_claimed');
    }
    const again = await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} });
    expect(again.status).toBe(409);
    expect((await auditTypes()).filter((type) => type === 'granted')).toHaveLength(1);
  });

  test('a pending call cannot be claimed; a denied one says why', async () => {
    fx = await agentFixture();
    const call = await fx.open();
    const early = await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} });
    expect(early.status).toBe(409);
    expect((await json(early)).code).toBe('not_approved');
    expect((await fx.deny(call.callId)).status).toBe(200);
    const late = await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} });
    expect(late.status).toBe(409);
    expect((await json(late)).code).toBe('approval_denied');
    expect(await auditTypes()).not.toContain('granted');
  });

  test('a claim after the request expired, and after the claim deadline, is refused', async () => {
    fx = await agentFixture();
    const call = await fx.open();
    await fx.clock.advance(16 * 60_000);
    const expired = await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} });
    expect(expired.status).toBe(409);
    expect((await json(expired)).code).toBe('approval_expired');

    const second = await fx.open({ ...MIGRATE, sessionId: 'run-2' });
    await fx.approve(second.callId);
    const view = (await json(await fx.agent(`/v1/calls/${second.callId}`))) as unknown as AgentCall;
    expect(view.status).toBe('approved');
    await fx.clock.advance((view.expiresAt as number) - fx.clock.now() + 1);
    const late = await fx.agent(`/v1/calls/${second.callId}/claim`, { body: {} });
    expect(late.status).toBe(409);
    expect((await json(late)).code).toBe('approval_expired');
    expect(await auditTypes()).not.toContain('granted');
  });

  test('a denied-by-policy call is final at open and cannot be claimed', async () => {
    fx = await agentFixture();
    const call = await fx.open({ ...MIGRATE, action: { name: 'db.drop', resource: 'db:prod' } });
    expect(call).toMatchObject({ status: 'denied', code: 'policy_denied', requestId: null });
    const claim = await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} });
    expect(claim.status).toBe(409);
    expect((await json(claim)).code).toBe('policy_denied');
  });

  test('an allowed call re-opened with its key answers the same call; other params under the key are a conflict', async () => {
    fx = await agentFixture();
    const read = {
      ...MIGRATE,
      idempotencyKey: 'k1',
      action: { name: 'read.report', resource: 'db:prod', params: { q: 1 } },
    };
    const first = await fx.open(read);
    expect(first.status).toBe('allowed');
    expect((await fx.open(read)).callId).toBe(first.callId);
    const other = await fx.agent('/v1/calls', {
      body: { ...read, action: { ...read.action, params: { q: 2 } } },
    });
    expect(other.status).toBe(409);
    expect((await json(other)).code).toBe('idempotency_conflict');
  });

  test('a changed command after approval is a new request, never covered by the old approval', async () => {
    fx = await agentFixture();
    const call = await approved();
    const changed = await fx.open({
      ...MIGRATE,
      action: { ...MIGRATE.action, params: { argv: ['psql', '-f', 'drop-everything.sql'], cwd: '/srv' } },
    });
    expect(changed.status).toBe('pending');
    expect(changed.callId).not.toBe(call.callId);
  });
});

describe('outcomes', () => {
  test('before a claim, twice, and for an unknown call', async () => {
    fx = await agentFixture();
    const call = await approved();
    const early = await fx.agent(`/v1/calls/${call.callId}/outcome`, { body: { status: 'executed' } });
    expect(early.status).toBe(409);
    expect((await json(early)).code).toBe('not_claimed');
    await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} });
    const bad = await fx.agent(`/v1/calls/${call.callId}/outcome`, { body: { status: 'done' } });
    expect(bad.status).toBe(400);
    const first = await fx.agent(`/v1/calls/${call.callId}/outcome`, { body: { status: 'executed' } });
    expect(first.status).toBe(200);
    expect((await json(first)).status).toBe('executed');
    const twice = await fx.agent(`/v1/calls/${call.callId}/outcome`, { body: { status: 'failed' } });
    expect(twice.status).toBe(409);
    expect((await json(twice)).code).toBe('outcome_recorded');
    expect((await fx.agent('/v1/calls/req_nope/outcome', { body: { status: 'executed' } })).status).toBe(404);
  });

  test('outcomes racing: one is recorded, the other is told it already has one', async () => {
    fx = await agentFixture();
    const call = await approved();
    await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} });
    const answers = await Promise.all([
      fx.agent(`/v1/calls/${call.callId}/outcome`, { body: { status: 'executed' } }),
      fx.agent(`/v1/calls/${call.callId}/outcome`, { body: { status: 'failed', detail: 'no' } }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const refused = answers.find((answer) => answer.status === 409)!;
    expect((await json(refused)).code).toBe('outcome_recorded');
    expect((await auditTypes()).filter((type) => type === 'executed' || type === 'failed')).toHaveLength(1);
  });

  test('a claimed call whose outcome never arrives fails at its grant expiry, grant and credentials revoked', async () => {
    fx = await agentFixture();
    const call = await fx.open({ ...MIGRATE, action: { name: 'db.jit', resource: 'db:prod', params: {} } });
    await fx.approve(call.callId);
    const claim = (await json(
      await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} }),
    )) as unknown as AgentCall;
    expect(claim.status).toBe('running');
    expect(claim.grant?.credentials?.PGUSER).toMatch(/^role_/);
    expect(fx.live.size).toBe(1);
    await fx.clock.advance(61_000);
    for (let i = 0; i < 50 && (await fx.cs.getRequest(call.callId))?.status === 'approved'; i++)
      await fx.clock.flush();
    const request = await fx.cs.getRequest(call.callId);
    expect(request?.status).toBe('failed');
    expect(fx.live.size).toBe(0);
    const entries = await fx.cs.audit.entries();
    const failed = entries.find((entry) => entry.type === 'failed');
    expect(failed?.detail).toContain('no outcome reported before the grant expired');
    // The credentials never reach the log.
    expect(JSON.stringify(entries)).not.toContain('secret');
    const view = (await json(await fx.agent(`/v1/calls/${call.callId}`))) as unknown as AgentCall;
    expect(view.status).toBe('failed');
    expect(view.grant).toBeNull();
  });

  test('a reported failure is recorded scrubbed; credentials the detail quotes are redacted', async () => {
    fx = await agentFixture();
    const call = await fx.open({ ...MIGRATE, action: { name: 'db.jit', resource: 'db:prod', params: {} } });
    await fx.approve(call.callId);
    const claim = (await json(
      await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} }),
    )) as unknown as AgentCall;
    const password = claim.grant?.credentials?.PGPASSWORD as string;
    const outcome = await fx.agent(`/v1/calls/${call.callId}/outcome`, {
      body: {
        status: 'failed',
        detail: `exit status 3 (login ${password}; export AWS_SECRET_ACCESS_KEY=abc123def456)`,
      },
    });
    expect(outcome.status).toBe(200);
    expect((await json(outcome)).status).toBe('failed');
    expect(fx.live.size).toBe(0);
    const log = JSON.stringify(await fx.cs.audit.entries());
    expect(log).toContain('reported by the agent: exit status 3');
    expect(log).not.toContain(password);
    expect(log).not.toContain('abc123def456');
  });

  test('the server closing while a call runs records it as failed and revokes its credentials', async () => {
    fx = await agentFixture();
    const call = await fx.open({ ...MIGRATE, action: { name: 'db.jit', resource: 'db:prod', params: {} } });
    await fx.approve(call.callId);
    await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} });
    await fx.app.close();
    expect((await fx.cs.getRequest(call.callId))?.status).toBe('failed');
    expect(fx.live.size).toBe(0);
  });
});

describe('the whole path', () => {
  test('allowed: open, claim, executed; the chain verifies and the grant is single-use', async () => {
    fx = await agentFixture();
    const call = await fx.open({
      ...MIGRATE,
      action: { name: 'read.report', resource: 'db:prod', params: { q: 1 } },
    });
    expect(call).toMatchObject({ status: 'allowed', requestId: null, grant: null });
    expect(call.callId).toMatch(/^call_/);
    const claim = (await json(
      await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} }),
    )) as unknown as AgentCall;
    expect(claim.status).toBe('running');
    expect(claim.grant?.token).toEqual(expect.any(String));
    // Shown once: reading the call again never shows the token.
    const read = (await json(await fx.agent(`/v1/calls/${call.callId}`))) as unknown as AgentCall;
    expect(read).toMatchObject({ status: 'running', grant: null });
    const done = await fx.agent(`/v1/calls/${call.callId}/outcome`, { body: { status: 'executed' } });
    expect((await json(done)).status).toBe('executed');
    expect(await auditTypes()).toEqual(['allowed', 'executed']);
    expect(verifyAuditLog(await fx.cs.audit.export()).ok).toBe(true);
    // The grant was consumed by the claim: it cannot be spent again.
    await expect(
      fx.cs.grants.consume(claim.grant!.token, {
        name: 'read.report',
        resource: 'db:prod',
        params: { q: 1 },
        sessionId: 'run-1',
      }),
    ).rejects.toThrow();
  });

  test('pending: a long poll answers when the decision lands; claim; executed; re-open re-attaches', async () => {
    fx = await agentFixture({ publicUrl: 'https://approvals.example.test' });
    const call = await fx.open({ ...MIGRATE, idempotencyKey: 'migrate-42' });
    expect(call.approvalUrl).toContain(call.callId);
    expect(call.approvals).toEqual({ count: 0, required: 1 });
    const polling = fx.agent(`/v1/calls/${call.callId}?wait=30s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await fx.approve(call.callId);
    const decided = (await json(await polling)) as unknown as AgentCall;
    expect(decided.status).toBe('approved');
    const again = await fx.open({ ...MIGRATE, idempotencyKey: 'migrate-42' });
    expect(again.callId).toBe(call.callId);
    expect(again.status).toBe('approved');
    const claim = await fx.agent(`/v1/calls/${call.callId}/claim`, { body: {} });
    expect(claim.status).toBe(200);
    expect(claim.headers.get('cache-control')).toBe('no-store');
    const done = await fx.agent(`/v1/calls/${call.callId}/outcome`, { body: { status: 'executed' } });
    expect((await json(done)).status).toBe('executed');
    expect(await auditTypes()).toEqual(
      expect.arrayContaining(['requested', 'approved', 'granted', 'executed']),
    );
    expect(verifyAuditLog(await fx.cs.audit.export()).ok).toBe(true);
  });

  test('a long poll whose status already differs from ?status= answers at once', async () => {
    fx = await agentFixture();
    const call = await approved();
    const response = await fx.agent(`/v1/calls/${call.callId}?wait=60s&status=pending`);
    expect((await json(response)).status).toBe('approved');
  });

  test('an approved call is claimable after a restart of the server when its params were not redacted', async () => {
    fx = await agentFixture();
    const call = await approved();
    // A second API over the same instance holds no calls in memory, as after a restart.
    const { createDecisionApi } = await import('../src/index.js');
    const fresh = createDecisionApi(fx.cs, {
      store: fx.store,
      clock: fx.clock,
      oidc: { issuer: 'https://id.example.test', audience: 'countersign-api', jwks: fx.approvers.jwks },
      agents: {
        issuers: [
          {
            issuer: CI_ISSUER,
            audience: CI_AUDIENCE,
            jwks: fx.workloads.jwks,
            actor: 'agent:ci:{repository}',
          },
        ],
      },
    });
    const claim = await fresh.request(`/v1/calls/${call.callId}/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await fx.agentToken()}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(claim.status).toBe(200);
    // The outcome goes to the server holding the call; this one says so.
    const elsewhere = await fx.agent(`/v1/calls/${call.callId}/outcome`, { body: { status: 'executed' } });
    expect(elsewhere.status).toBe(409);
    expect((await json(elsewhere)).code).toBe('claimed_elsewhere');
    await fresh.close();
  });
});
