// The agent API under test: an instance with a test clock, approvers' and workloads' issuers, and call helpers.
import {
  type Countersign,
  type CredentialBroker,
  createCountersign,
  type PolicyRule,
  type Store,
} from '@countersign/core';
import { createRecordingTransport, createTestClock, type TestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import type { JWTPayload } from 'jose';
import { type AgentApiOptions, type AgentCall, createDecisionApi } from '../src/index.js';
import { AUDIENCE, ISSUER, type TestIssuer, testIssuer } from './helpers.js';

export const CI_ISSUER = 'https://ci.example.test';
export const CI_AUDIENCE = 'https://approvals.example.test';
export const REPO_CLAIMS = { repository: 'acme/infra', repository_owner: 'acme', ref: 'refs/heads/main' };

export const POLICY: PolicyRule[] = [
  { id: 'reads', match: { action: 'read.*' }, effect: 'allow' },
  { id: 'no-drops', match: { action: 'db.drop' }, effect: 'deny' },
  {
    id: 'migrations',
    match: { action: 'db.migrate' },
    effect: 'require_approval',
    approvers: { users: ['user:bob', 'user:carol'] },
    requestTtl: '15m',
    grantTtl: '60s',
  },
  {
    id: 'jit',
    match: { action: 'db.jit' },
    effect: 'require_approval',
    approvers: { users: ['user:bob'] },
    grantTtl: '60s',
    credentials: { broker: 'fake', privileges: ['SELECT'] },
  },
];

/** A broker that hands out `{ PGUSER, PGPASSWORD }` and remembers what is live. */
export function fakeBroker() {
  const live = new Set<string>();
  const broker: CredentialBroker = {
    name: 'fake',
    checkPrivileges: (privileges) => privileges.filter((p) => p !== 'SELECT').map((p) => `unknown ${p}`),
    handle: (request) => `role_${request.grantId}`,
    async issue(_request, handle) {
      live.add(handle);
      return { PGUSER: handle, PGPASSWORD: `pw-${handle}-secret` };
    },
    async revoke(handle) {
      live.delete(handle);
    },
  };
  return { broker, live };
}

export interface AgentFixture {
  cs: Countersign;
  store: Store;
  clock: TestClock;
  approvers: TestIssuer;
  workloads: TestIssuer;
  live: Set<string>;
  app: ReturnType<typeof createDecisionApi>;
  /** A workload token with the repository claims, and `extra` over them. */
  agentToken(extra?: JWTPayload, options?: Parameters<TestIssuer['token']>[1]): Promise<string>;
  agent(
    path: string,
    init?: { method?: string; body?: unknown; token?: string | undefined; headers?: Record<string, string> },
  ): Promise<Response>;
  open(body?: Record<string, unknown>, token?: string): Promise<AgentCall>;
  approve(requestId: string, who?: string): Promise<Response>;
  deny(requestId: string, who?: string): Promise<Response>;
  close(): Promise<void>;
}

export const MIGRATE = {
  action: {
    name: 'db.migrate',
    resource: 'db:prod',
    params: { argv: ['psql', '-f', 'm42.sql'], cwd: '/srv' },
  },
  reason: 'ship migration 42',
  sessionId: 'run-1',
};

export async function agentFixture(
  options: { agents?: Partial<AgentApiOptions>; store?: Store; publicUrl?: string } = {},
): Promise<AgentFixture> {
  const clock = createTestClock(Date.now());
  const store = options.store ?? createMemoryStore();
  const { broker, live } = fakeBroker();
  const cs = createCountersign({
    store,
    clock,
    transports: [createRecordingTransport()],
    credentialBrokers: { fake: broker },
    directory: { 'user:bob': {}, 'user:carol': {} },
    policy: POLICY,
  });
  const approvers = await testIssuer('approver-key');
  const workloads = await testIssuer('ci-key');
  const app = createDecisionApi(cs, {
    store,
    clock,
    oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: approvers.jwks },
    publicUrl: options.publicUrl,
    agents: {
      issuers: [
        {
          issuer: CI_ISSUER,
          audience: CI_AUDIENCE,
          jwks: workloads.jwks,
          actor: 'agent:ci:{repository}',
          require: { repository_owner: 'acme' },
        },
      ],
      ...options.agents,
    },
  });
  // Tokens live by the test clock, which tests move forward.
  const inTenMinutes = () => Math.floor(clock.now() / 1000) + 600;
  const agentToken: AgentFixture['agentToken'] = (extra = {}, tokenOptions = {}) =>
    workloads.token(
      { ...REPO_CLAIMS, ...extra },
      {
        issuer: CI_ISSUER,
        audience: CI_AUDIENCE,
        expiresIn: inTenMinutes(),
        issuedAt: null,
        ...tokenOptions,
      },
    );
  const agent: AgentFixture['agent'] = async (path, init = {}) => {
    const token = init.token ?? (await agentToken());
    return app.request(path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      body:
        init.body === undefined
          ? null
          : typeof init.body === 'string'
            ? init.body
            : JSON.stringify(init.body),
    });
  };
  const decide = async (requestId: string, who: string, outcome: 'approve' | 'deny') =>
    app.request(`/requests/${requestId}/decisions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await approvers.token({ sub: who.replace(/^user:/, '') }, { expiresIn: inTenMinutes(), issuedAt: null })}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ outcome }),
    });
  return {
    cs,
    store,
    clock,
    approvers,
    workloads,
    live,
    app,
    agentToken,
    agent,
    async open(body = MIGRATE, token) {
      const response = await agent('/v1/calls', { body, token });
      if (response.status !== 200)
        throw new Error(`open answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as AgentCall;
    },
    approve: (requestId, who = 'user:bob') => decide(requestId, who, 'approve'),
    deny: (requestId, who = 'user:bob') => decide(requestId, who, 'deny'),
    async close() {
      await app.close();
      await cs.close();
    },
  };
}

export async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}
