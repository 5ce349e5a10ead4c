import { ConfigError, createCountersign } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { compileActorTemplate } from '../src/agent-api/actor-template.js';
import { createWorkloadVerifier } from '../src/agent-api/workload-auth.js';
import {
  AGENT_ROUTES,
  API_ROUTES,
  createDecisionApi,
  GITHUB_ACTIONS_ISSUER,
  OPENAPI_PATH,
} from '../src/index.js';
import { agentFixture } from './agent-helpers.js';
import { AUDIENCE, ISSUER, testIssuer } from './helpers.js';

const K8S = 'agent:k8s:{kubernetes.io.namespace}/{kubernetes.io.serviceaccount.name}';

describe('actor templates', () => {
  test('fill from nested claims whose names contain dots, as Kubernetes service-account tokens have', () => {
    const template = compileActorTemplate(K8S, 'actor');
    const claims = {
      sub: 'system:serviceaccount:deploy:runner',
      'kubernetes.io': { namespace: 'deploy', serviceaccount: { name: 'runner', uid: 'u-1' } },
    };
    expect(template.fill(claims)).toEqual({ actor: 'agent:k8s:deploy/runner' });
  });

  test('refuse a token lacking a claim, or with an empty, non-string or unprintable one', () => {
    const template = compileActorTemplate('agent:github:{repository}', 'actor');
    for (const repository of [undefined, '', 42, 'a b', 'x\u202Ey', 'a{b}']) {
      expect(template.fill({ repository }), String(repository)).toEqual({ missing: 'repository' });
    }
  });

  test.each([
    ['user:{sub}', /beginning with "agent:"/],
    ['agent:fixed', /names no claim/],
    ['agent:{}', /empty placeholder/],
    ['agent:{sub', /unbalanced/],
  ])('%s is a configuration error', (source, message) => {
    expect(() => compileActorTemplate(source, 'actor')).toThrow(message);
  });
});

describe('workload issuers', () => {
  test('the GitHub Actions preset: its issuer, its JWKS, RS256, agent:github:{repository}; the audience is required', async () => {
    expect(() => createWorkloadVerifier([{ preset: 'github-actions' } as never], undefined)).toThrow(
      /audience is required/,
    );
    const keys = await testIssuer('gh');
    const verifier = createWorkloadVerifier(
      [
        {
          preset: 'github-actions',
          audience: 'https://approvals.example.test',
          jwks: keys.jwks,
          algorithms: ['ES256'],
        },
      ],
      undefined,
    );
    expect(verifier.issuers).toEqual([
      { issuer: GITHUB_ACTIONS_ISSUER, audiences: ['https://approvals.example.test'] },
    ]);
    const token = await keys.token(
      { repository: 'acme/infra', repository_owner: 'acme', sub: 'repo:acme/infra:ref:refs/heads/main' },
      { issuer: GITHUB_ACTIONS_ISSUER, audience: 'https://approvals.example.test' },
    );
    expect(verifier.isWorkloadToken(token)).toBe(true);
    expect(await verifier.verify(token)).toBe('agent:github:acme/infra');
    // GitHub's default audience is not this server's.
    const defaultAudience = await keys.token(
      { repository: 'acme/infra' },
      { issuer: GITHUB_ACTIONS_ISSUER, audience: 'https://github.com/acme' },
    );
    await expect(verifier.verify(defaultAudience)).rejects.toThrow(/aud/);
    // A token without exp is refused.
    await expect(
      verifier.verify(await keys.token({ repository: 'acme/infra' }, { issuer: 'https://elsewhere' })),
    ).rejects.toThrow(/not from a workload issuer/);
  });

  test('configuration errors name the key: unknown keys, a preset typo, an issuer twice, a shared approver audience', () => {
    expect(() => createWorkloadVerifier([], undefined)).toThrow(ConfigError);
    expect(() =>
      createWorkloadVerifier(
        [{ issuer: 'https://a', audience: 'x', jwks: { keys: [] }, actor: 'agent:{sub}', extra: 1 } as never],
        undefined,
      ),
    ).toThrow(/unknown option "extra"/);
    expect(() => createWorkloadVerifier([{ preset: 'gitlab' as never, audience: 'x' }], undefined)).toThrow(
      /preset/,
    );
    const twice = { issuer: 'https://a', audience: 'x', jwks: { keys: [] }, actor: 'agent:{sub}' };
    expect(() => createWorkloadVerifier([twice, twice], undefined)).toThrow(/configured twice/);
    const store = createMemoryStore();
    const cs = createCountersign({ store, policy: [] });
    expect(() =>
      createDecisionApi(cs, {
        store,
        oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] } },
        agents: {
          issuers: [{ issuer: ISSUER, audience: [AUDIENCE], jwks: { keys: [] }, actor: 'agent:{sub}' }],
        },
      }),
    ).toThrow(/both an agent and an approver/);
    expect(() =>
      createDecisionApi(cs, {
        store,
        oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] } },
        agents: {
          issuers: [{ issuer: 'https://b', audience: 'y', jwks: { keys: [] }, actor: 'agent:{sub}' }],
          maxWaiting: 0,
        },
      }),
    ).toThrow(/maxWaiting/);
  });
});

test('the OpenAPI document of a server with agents describes exactly the routes it serves', async () => {
  const fx = await agentFixture();
  try {
    const doc = (await (await fx.app.request(OPENAPI_PATH)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.fromEntries(
      Object.entries(doc.paths).map(([path, ops]) => [
        path.replace(/\{(\w+)\}/g, ':$1'),
        Object.keys(ops).map((m) => m.toUpperCase()),
      ]),
    );
    expect(documented).toEqual({ ...API_ROUTES, ...AGENT_ROUTES });
    for (const [path, methods] of Object.entries(AGENT_ROUTES)) {
      const wrong = methods.includes('GET') ? 'POST' : 'GET';
      const response = await fx.app.request(path.replace(':id', 'req_x'), { method: wrong });
      expect(response.status, `${wrong} ${path}`).toBe(405);
    }
  } finally {
    await fx.close();
  }
});
