import { describe, expect, test } from 'vitest';
import {
  createDecisionApi,
  createWebhookSigner,
  type DecisionApi,
  listen,
  OPENAPI_PATH,
  type ReplayGuard,
} from '../src/index.js';
import { AUDIENCE, fixture, hmacSecret, ISSUER, testIssuer } from './helpers.js';

function expectUncachedAndUnsniffed(response: Response, what: string) {
  expect(response.headers.get('cache-control'), what).toBe('no-store');
  expect(response.headers.get('x-content-type-options'), what).toBe('nosniff');
}

describe('every answer of the API', () => {
  test('is no-store and nosniff: successes, JSON lines, and every kind of error', async () => {
    const fx = fixture();
    const issuer = await testIssuer();
    const secret = hmacSecret();
    const failingGuard: ReplayGuard = {
      claim: () => Promise.reject(new Error('the replay store is down')),
    };
    const app: DecisionApi = createDecisionApi(fx.cs, {
      store: fx.store,
      oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks },
      relays: [{ name: 'oncall', identity: 'bot:oncall', secret }],
      replayGuard: failingGuard,
      auditors: ['user:auditor'],
      maxBodyBytes: 64,
    });
    try {
      const { request } = await fx.pending();
      const bearer = async (who: string) => ({ authorization: `Bearer ${await issuer.token({ sub: who })}` });
      const answers: Record<string, Response> = {
        list: await app.request('/requests', { headers: await bearer('bob') }),
        read: await app.request(`/requests/${request.id}`, { headers: await bearer('bob') }),
        trail: await app.request(`/requests/${request.id}/audit`, { headers: await bearer('bob') }),
        export: await app.request('/audit', { headers: await bearer('auditor') }),
        openapi: await app.request(OPENAPI_PATH),
        health: await app.request('/healthz'),
        unauthenticated: await app.request('/requests'),
        forbidden: await app.request(`/requests/${request.id}`, { headers: await bearer('mallory') }),
        notFound: await app.request('/nowhere'),
        wrongMethod: await app.request('/requests', { method: 'DELETE' }),
        tooLarge: await app.request(`/requests/${request.id}/decisions`, {
          method: 'POST',
          headers: { ...(await bearer('bob')), 'content-type': 'application/json' },
          body: JSON.stringify({ outcome: 'approve', comment: 'x'.repeat(100) }),
        }),
        // A relay whose replay store throws reaches the API's error handler: a bare 500.
        internal: await app.request(`/requests/${request.id}/decisions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...createWebhookSigner({ secret })('msg_1', Math.floor(Date.now() / 1000), '{}'),
          },
          body: '{}',
        }),
        decided: await app.request(`/requests/${request.id}/decisions`, {
          method: 'POST',
          headers: { ...(await bearer('bob')), 'content-type': 'application/json' },
          body: JSON.stringify({ outcome: 'deny', comment: 'no' }),
        }),
      };
      const statuses = Object.fromEntries(Object.entries(answers).map(([name, r]) => [name, r.status]));
      expect(statuses).toMatchObject({
        list: 200,
        read: 200,
        trail: 200,
        export: 200,
        openapi: 200,
        health: 200,
        unauthenticated: 401,
        forbidden: 403,
        notFound: 404,
        wrongMethod: 405,
        tooLarge: 413,
        decided: 200,
        internal: 500,
      });
      for (const [name, response] of Object.entries(answers)) expectUncachedAndUnsniffed(response, name);
    } finally {
      await fx.close();
    }
  });
});

describe("the issuer's keys cannot be fetched", () => {
  async function apiWithJwks(jwksUrl: string) {
    const fx = fixture();
    const app = createDecisionApi(fx.cs, {
      store: fx.store,
      oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl },
    });
    return { fx, app };
  }

  async function expectKeysUnavailable(app: DecisionApi, token: string) {
    const response = await app.request('/requests', { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expectUncachedAndUnsniffed(response, '503');
    const body = (await response.json()) as { code: string; detail: string };
    expect(body.code).toBe('keys_unavailable');
    expect(body.detail).toContain("the issuer's signing keys could not be fetched");
    expect(body.detail).not.toContain(token);
  }

  test('connection refused: a valid token gets 503 keys_unavailable, not 401 malformed, and nothing is written', async () => {
    const closed = await listen(() => new Response('gone'));
    await closed.close(0);
    const { fx, app } = await apiWithJwks(`${closed.url}/jwks`);
    try {
      const issuer = await testIssuer();
      const { request } = await fx.pending();
      const before = await fx.cs.audit.head();
      await expectKeysUnavailable(app, await issuer.token({ sub: 'bob' }));
      const decision = await app.request(`/requests/${request.id}/decisions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await issuer.token({ sub: 'bob' })}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ outcome: 'approve' }),
      });
      expect(decision.status).toBe(503);
      expect(await fx.cs.audit.head()).toEqual(before);
      expect((await fx.cs.getRequest(request.id))?.status).toBe('pending');
      // Garbage is still the caller's fault.
      const garbage = await app.request('/requests', { headers: { authorization: 'Bearer a.b' } });
      expect(garbage.status).toBe(401);
    } finally {
      await fx.close();
    }
  });

  test('the JWKS URL answers 500: 503 keys_unavailable', async () => {
    const jwks = await listen(() => new Response('down', { status: 500 }));
    const { fx, app } = await apiWithJwks(`${jwks.url}/jwks`);
    try {
      const issuer = await testIssuer();
      await expectKeysUnavailable(app, await issuer.token({ sub: 'bob' }));
    } finally {
      await fx.close();
      await jwks.close(100);
    }
  });
});

test("the inbox's sign-in says the keys could not be fetched, with 503", async () => {
  const closed = await listen(() => new Response('gone'));
  await closed.close(0);
  const fx = fixture();
  const app = createDecisionApi(fx.cs, {
    store: fx.store,
    oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: `${closed.url}/jwks` },
    inbox: true,
    publicUrl: 'http://inbox.test',
  });
  try {
    const issuer = await testIssuer();
    const response = await app.request('http://inbox.test/inbox/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://inbox.test' },
      body: new URLSearchParams({ token: await issuer.token({ sub: 'bob' }), next: '/inbox' }).toString(),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.text()).toContain('signing keys could not be fetched');
  } finally {
    await app.close();
    await fx.close();
  }
});
