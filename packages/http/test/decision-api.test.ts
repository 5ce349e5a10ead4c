import { generateKeyPairSync } from 'node:crypto';
import { type RequestPresentation, verifyAuditLog } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import {
  API_ROUTES,
  createDecisionApi,
  createWebhookSigner,
  OPENAPI_PATH,
  openApiDocument,
  webhookPublicKey,
} from '../src/index.js';
import {
  AUDIENCE,
  type Fixture,
  fixture,
  hmacSecret,
  ISSUER,
  type TestIssuer,
  testIssuer,
} from './helpers.js';

let fx: Fixture;
let issuer: TestIssuer;
const relaySecret = hmacSecret();
const edSeed = generateKeyPairSync('ed25519')
  .privateKey.export({ format: 'der', type: 'pkcs8' })
  .subarray(16);
const edPrivate = `whsk_${edSeed.toString('base64')}`;

async function setup(options: { quorum?: number } = {}) {
  fx = fixture(options);
  issuer = await testIssuer();
  const app = createDecisionApi(fx.cs, {
    store: fx.store,
    oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks },
    relays: [
      { name: 'oncall', identity: 'bot:oncall', secret: relaySecret },
      { name: 'tickets', identity: 'user:carol', publicKey: webhookPublicKey(edPrivate) },
    ],
    auditors: ['user:auditor'],
    maxBodyBytes: 4096,
  });
  const as = async (who: string, path: string, init: RequestInit = {}) => {
    const token = await issuer.token({ sub: who });
    return app.request(path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  };
  const decide = (who: string, id: string, body: unknown) =>
    as(who, `/requests/${id}/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return { app, as, decide };
}

afterEach(async () => {
  await fx?.close();
});

async function auditTypes(): Promise<string[]> {
  return (await fx.cs.audit.entries()).map((e) => e.type);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('authentication', () => {
  test('refuses missing, forged, expired, wrong-audience, wrong-issuer, alg none and unknown-key tokens, writing nothing', async () => {
    const { app } = await setup();
    const { request } = await fx.pending();
    const before = await fx.cs.audit.head();
    const other = await testIssuer('key-1');
    const now = Math.floor(Date.now() / 1000);
    const tokens: Record<string, string | null> = {
      none: null,
      forged: await other.token({ sub: 'bob' }),
      expired: await issuer.token({ sub: 'bob' }, { expiresIn: now - 120 }),
      wrongAudience: await issuer.token({ sub: 'bob' }, { audience: 'someone-else' }),
      wrongIssuer: await issuer.token({ sub: 'bob' }, { issuer: 'https://evil.test' }),
      algNone: `${base64url({ alg: 'none', kid: 'key-1' })}.${base64url({ sub: 'bob', iss: ISSUER, aud: AUDIENCE, exp: now + 300 })}.`,
      unknownKey: await other.token({ sub: 'bob' }, { kid: 'key-2' }),
      notYetValid: await issuer.token({ sub: 'bob' }, { notBefore: now + 600 }),
    };
    const reasons: Record<string, string> = {};
    for (const [name, token] of Object.entries(tokens)) {
      const response = await app.request(`/requests/${request.id}/decisions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify({ outcome: 'approve' }),
      });
      expect(response.status, name).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      const body = (await response.json()) as { detail: string };
      reasons[name] = body.detail;
      if (token !== null) expect(body.detail).not.toContain(token);
    }
    expect(reasons.expired).toContain('expired');
    expect(reasons.wrongAudience).toContain('"aud"');
    expect(reasons.wrongIssuer).toContain('"iss"');
    expect(reasons.unknownKey).toContain('unknown key');
    expect(reasons.forged).toContain('bad signature');
    expect(await fx.cs.audit.head()).toEqual(before);
    expect((await fx.cs.getRequest(request.id))?.status).toBe('pending');
  });

  test('a token without the identity claim is refused', async () => {
    const { app } = await setup();
    const token = await issuer.token({});
    const response = await app.request('/requests', { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
  });

  test('refuses algorithms that cannot be verified against a JWKS at configuration', async () => {
    fx = fixture();
    expect(() =>
      createDecisionApi(fx.cs, {
        store: fx.store,
        oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] }, algorithms: ['none'] },
      }),
    ).toThrow(/must not contain "none"/);
    expect(() =>
      createDecisionApi(fx.cs, {
        store: fx.store,
        oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] } },
        port: 1,
      } as never),
    ).toThrow(/unknown option "port"/);
  });
});

describe('signed relays', () => {
  function signed(
    id: string,
    body: string,
    at = Math.floor(Date.now() / 1000),
    key: { secret: string } | { privateKey: string } = { secret: relaySecret },
  ) {
    return { 'content-type': 'application/json', ...createWebhookSigner(key)(id, at, body) };
  }

  test('an HMAC-signed relay decides as its configured identity, once per message id', async () => {
    const { app } = await setup();
    const { request, outcome } = await fx.pending();
    const body = JSON.stringify({ outcome: 'approve', comment: 'INC-42 on call', requestId: request.id });
    const headers = signed('msg_1', body);
    const first = await app.request(`/requests/${request.id}/decisions`, { method: 'POST', headers, body });
    expect(first.status).toBe(200);
    expect(await outcome).toEqual({ ok: 'exported' });
    const decided = await fx.cs.getRequest(request.id);
    expect(decided?.decisions[0]).toMatchObject({ approver: 'bot:oncall', via: 'relay:oncall' });

    const replay = await app.request(`/requests/${request.id}/decisions`, { method: 'POST', headers, body });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { detail: string }).detail).toContain('replay');
  });

  test('a replayed relay request is refused before it reaches core, even for another request', async () => {
    const { app } = await setup();
    const { request } = await fx.pending();
    const body = '';
    const headers = signed('msg_list', body);
    expect((await app.request('/requests', { headers })).status).toBe(200);
    const before = await fx.cs.audit.head();
    expect((await app.request('/requests', { headers })).status).toBe(401);
    expect(await fx.cs.audit.head()).toEqual(before);
    expect((await fx.cs.getRequest(request.id))?.status).toBe('pending');
  });

  test('an Ed25519 (v1a) relay is verified with its public key', async () => {
    const { app } = await setup();
    const { request } = await fx.pending();
    const body = JSON.stringify({ outcome: 'deny', comment: 'ticket rejected', requestId: request.id });
    const ok = await app.request(`/requests/${request.id}/decisions`, {
      method: 'POST',
      headers: signed('msg_ed', body, undefined, { privateKey: edPrivate }),
      body,
    });
    expect(ok.status).toBe(200);
    expect((await fx.cs.getRequest(request.id))?.status).toBe('denied');
  });

  test('a signed decision names its request: one signed for A and posted to B changes nothing', async () => {
    const { app } = await setup();
    const a = await fx.pending();
    const b = await fx.pending({ table: 'other' });
    const body = JSON.stringify({ outcome: 'approve', requestId: a.request.id });
    const moved = await app.request(`/requests/${b.request.id}/decisions`, {
      method: 'POST',
      headers: signed('msg_moved', body),
      body,
    });
    expect(moved.status).toBe(400);
    expect(((await moved.json()) as { field: string }).field).toBe('requestId');
    const unnamed = JSON.stringify({ outcome: 'approve' });
    const missing = await app.request(`/requests/${b.request.id}/decisions`, {
      method: 'POST',
      headers: signed('msg_unnamed', unnamed),
      body: unnamed,
    });
    expect(missing.status).toBe(400);
    expect((await fx.cs.getRequest(a.request.id))?.status).toBe('pending');
    expect((await fx.cs.getRequest(b.request.id))?.status).toBe('pending');
  });

  test('tampered bodies, stale timestamps and wrong keys are refused', async () => {
    const { app } = await setup();
    const { request } = await fx.pending();
    const path = `/requests/${request.id}/decisions`;
    const body = JSON.stringify({ outcome: 'approve' });
    const tampered = await app.request(path, {
      method: 'POST',
      headers: signed('msg_a', JSON.stringify({ outcome: 'deny' })),
      body,
    });
    expect(tampered.status).toBe(401);
    const stale = await app.request(path, {
      method: 'POST',
      headers: signed('msg_b', body, Math.floor(Date.now() / 1000) - 600),
      body,
    });
    expect(((await stale.json()) as { detail: string }).detail).toContain('window');
    const wrongKey = await app.request(path, {
      method: 'POST',
      headers: signed('msg_c', body, undefined, { secret: hmacSecret() }),
      body,
    });
    expect(wrongKey.status).toBe(401);
    expect((await fx.cs.getRequest(request.id))?.status).toBe('pending');
  });
});

describe('decisions', () => {
  test('an eligible approver approves and the agent resumes', async () => {
    const { decide } = await setup();
    const { request, outcome } = await fx.pending();
    const response = await decide('bob', request.id, { outcome: 'approve', comment: 'fine' });
    expect(response.status).toBe(200);
    const view = (await response.json()) as {
      status: string;
      quorum: { approvals: number };
      decisions: { approver: string; via: string }[];
    };
    expect(view.status).toBe('approved');
    expect(view.decisions[0]).toMatchObject({ approver: 'user:bob', via: 'api' });
    expect(await outcome).toEqual({ ok: 'exported' });
  });

  test('self-approval through the API is 403, audited, and changes nothing', async () => {
    const { decide } = await setup();
    const { request } = await fx.pending();
    const response = await decide('alice', request.id, { outcome: 'approve' });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('self_approval');
    expect((await fx.cs.getRequest(request.id))?.decisions).toEqual([]);
    expect(await auditTypes()).toContain('refused');
  });

  test('a non-approver gets 403 with the reason, audited, nothing recorded', async () => {
    const { decide, as } = await setup();
    const { request } = await fx.pending();
    const response = await decide('mallory', request.id, { outcome: 'approve' });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { code: string; detail: string };
    expect(body.code).toBe('not_eligible');
    expect(body.detail).toContain('user:mallory');
    expect((await fx.cs.getRequest(request.id))?.status).toBe('pending');
    expect(await auditTypes()).toContain('refused');
    const refusalsBefore = (await auditTypes()).filter((t) => t === 'refused').length;
    expect((await as('mallory', `/requests/${request.id}`)).status).toBe(403);
    // The refused read is audited too.
    expect((await auditTypes()).filter((t) => t === 'refused').length).toBe(refusalsBefore + 1);
  });

  test('a decision on a decided request is 409 already_decided', async () => {
    const { decide } = await setup();
    const { request, outcome } = await fx.pending();
    expect((await decide('bob', request.id, { outcome: 'deny', comment: 'no' })).status).toBe(200);
    await outcome;
    const late = await decide('carol', request.id, { outcome: 'approve' });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { code: string }).code).toBe('already_decided');
  });

  test('a second vote by the same approver under quorum 2 is 409 already_voted', async () => {
    const { decide } = await setup({ quorum: 2 });
    const { request } = await fx.pending();
    expect((await decide('bob', request.id, { outcome: 'approve' })).status).toBe(200);
    const again = await decide('bob', request.id, { outcome: 'approve' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('already_voted');
  });

  test('two approvers racing on a quorum of one: exactly one decision counts, the other is 409', async () => {
    const { decide } = await setup();
    const { request, outcome } = await fx.pending();
    const responses = await Promise.all([
      decide('bob', request.id, { outcome: 'approve' }),
      decide('carol', request.id, { outcome: 'deny' }),
    ]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
    const settled = await fx.cs.getRequest(request.id);
    expect(settled?.decisions).toHaveLength(1);
    await outcome;
  });

  test('an unknown request is 404', async () => {
    const { decide } = await setup();
    expect((await decide('bob', 'req_nope', { outcome: 'approve' })).status).toBe(404);
  });
});

describe('bad input', () => {
  test('malformed, oversized, unknown-field and wrong-type bodies are refused with the field named', async () => {
    const { as, decide } = await setup();
    const { request } = await fx.pending();
    const path = `/requests/${request.id}/decisions`;
    const post = (body: string, type = 'application/json') =>
      as('bob', path, { method: 'POST', headers: { 'content-type': type }, body });
    const cases: [Response, number, string | undefined][] = [
      [await post('{"outcome":'), 400, 'body'],
      [await post('[]'), 400, 'body'],
      // JSON.parse would keep the last; a proxy in front may have read the first.
      [await post('{"outcome":"deny","outcome":"approve"}'), 400, 'outcome'],
      [
        await decide('bob', request.id, { outcome: 'approve', requestId: 'req_someoneelse' }),
        400,
        'requestId',
      ],
      [await decide('bob', request.id, { outcome: 'maybe' }), 400, 'outcome'],
      [await decide('bob', request.id, { outcome: 'approve', approver: 'user:carol' }), 400, 'approver'],
      [await decide('bob', request.id, { outcome: 'approve', comment: 7 }), 400, 'comment'],
      [await decide('bob', request.id, { outcome: 'approve', comment: 'x'.repeat(5000) }), 413, undefined],
      [await post('outcome=approve', 'application/x-www-form-urlencoded'), 415, undefined],
      [
        await as('bob', '/requests/bad%20id/decisions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }),
        400,
        'id',
      ],
      [await as('bob', '/requests?limit=1000'), 400, 'limit'],
      [await as('bob', '/requests?sort=asc'), 400, 'sort'],
      [await as('bob', '/requests?cursor=zzz'), 400, 'cursor'],
    ];
    for (const [response, status, field] of cases) {
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const body = (await response.json()) as { field?: string };
      expect(body.field).toBe(field);
    }
    expect((await fx.cs.getRequest(request.id))?.decisions).toEqual([]);
  });

  test('a body larger than the cap is refused without reading it all, even when chunked', async () => {
    const { app } = await setup();
    const token = await issuer.token({ sub: 'bob' });
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(1024).fill(32));
        if (pulled > 1000) controller.close();
      },
    });
    const response = await app.request('/requests/req_x/decisions', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  test('unknown routes are 404 and wrong methods 405 with Allow, as problem documents', async () => {
    const { app } = await setup();
    const missing = await app.request('/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    const wrong = await app.request('/requests', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect((await app.request('/requests/abc/decisions')).status).toBe(405);
  });
});

describe('reading', () => {
  test('lists the pending requests the caller may decide, filtered and paged', async () => {
    const { as } = await setup();
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await fx.pending({ table: `t${i}` })).request.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/requests?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await (await as('bob', path)).json()) as {
        items: { id: string; viewer: { canDecide: boolean } }[];
        nextCursor: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const item of page.items) {
        expect(item.viewer.canDecide).toBe(true);
        seen.push(item.id);
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen.sort()).toEqual([...made].sort());
    const none = (await (await as('mallory', '/requests')).json()) as { items: unknown[] };
    expect(none.items).toEqual([]);
    const self = (await (await as('alice', '/requests')).json()) as { items: unknown[] };
    expect(self.items).toEqual([]);
    const filtered = (await (await as('bob', '/requests?action=db.other')).json()) as { items: unknown[] };
    expect(filtered.items).toEqual([]);
  });

  test("a request reads as core's presentation: redacted params, hash, unverified reason, quorum", async () => {
    const { as } = await setup();
    const { request } = await fx.pending({ table: 'customers', password: 'hunter2-secret' });
    const view = (await (await as('bob', `/requests/${request.id}`)).json()) as RequestPresentation;
    expect(view.what.paramsText).toContain('[REDACTED]');
    expect(JSON.stringify(view)).not.toContain('hunter2');
    expect(view.what.paramsHash).toBe(request.action.paramsHash);
    expect(view.why.label).toBe('Stated by the agent, unverified');
    expect(view.quorum).toEqual({ required: 1, approvals: 0, approvedBy: [] });
    expect(view.who).toMatchObject({ actor: 'agent:report-bot', onBehalfOf: 'user:alice' });
  });

  test("a request's audit trail, and the full export for auditors only", async () => {
    const { as, decide } = await setup();
    const { request, outcome } = await fx.pending();
    await decide('bob', request.id, { outcome: 'approve' });
    await outcome;
    const trail = (await (await as('bob', `/requests/${request.id}/audit`)).json()) as {
      entries: { type: string; requestId: string }[];
    };
    expect(trail.entries.map((e) => e.type)).toEqual(
      expect.arrayContaining(['requested', 'approved', 'granted', 'executed']),
    );
    expect(trail.entries.every((e) => e.requestId === request.id)).toBe(true);
    const refused = await as('bob', '/audit');
    expect(refused.status).toBe(403);
    const exported = await as('auditor', '/audit');
    expect(exported.status).toBe(200);
    expect(verifyAuditLog(await exported.text()).ok).toBe(true);
  });

  test('health and the OpenAPI document describe exactly the routes served', async () => {
    const { app } = await setup();
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });
    const doc = (await (await app.request(OPENAPI_PATH)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc).toEqual(openApiDocument());
    const documented = Object.fromEntries(
      Object.entries(doc.paths).map(([path, ops]) => [
        path.replace(/\{(\w+)\}/g, ':$1'),
        Object.keys(ops).map((m) => m.toUpperCase()),
      ]),
    );
    expect(documented).toEqual(API_ROUTES);
    for (const [path, methods] of Object.entries(API_ROUTES)) {
      for (const method of methods) {
        const response = await app.request(path.replace(':id', 'req_x'), { method });
        expect(response.status, `${method} ${path}`).not.toBe(405);
      }
    }
  });
});
