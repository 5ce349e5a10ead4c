import type { PolicyRule } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import { createDecisionApi, type DecisionApi } from '../src/index.js';
import { AUDIENCE, type Fixture, fixture, ISSUER, type TestIssuer, testIssuer } from './helpers.js';

let fx: Fixture;
let issuer: TestIssuer;
let app: DecisionApi;

afterEach(async () => {
  await app?.close();
  await fx?.close();
});

const ORIGIN = 'http://inbox.test';
const owners = { groups: ['data-owners'] };
const REUSABLE: PolicyRule[] = [
  {
    id: 'exports-reusable',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: owners,
    risk: 'high',
    reuse: { within: '30m', scope: 'session', same: 'fingerprint' },
  },
];
const COMMENTED: PolicyRule[] = [
  {
    id: 'exports-need-a-why',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: owners,
    requireComment: 'approve',
  },
];

async function setup(policy?: PolicyRule[]) {
  fx = fixture(policy === undefined ? {} : { policy });
  issuer = await testIssuer();
  app = createDecisionApi(fx.cs, {
    store: fx.store,
    oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks },
    inbox: true,
    publicUrl: ORIGIN,
  });
}

async function signIn(who: string): Promise<{ cookie: string; csrf: string }> {
  const token = await issuer.token({ sub: who });
  const response = await app.request(`${ORIGIN}/inbox/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
    body: new URLSearchParams({ token, next: '/inbox' }).toString(),
  });
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const inbox = await (await app.request(`${ORIGIN}/inbox`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(inbox)?.[1] ?? '';
  return { cookie, csrf };
}

function post(path: string, session: { cookie: string }, fields: [string, string][], origin = ORIGIN) {
  return app.request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie, origin },
    body: new URLSearchParams(fields).toString(),
  });
}

async function get(path: string, session: { cookie: string }) {
  return (await app.request(`${ORIGIN}${path}`, { headers: { cookie: session.cookie } })).text();
}

async function statuses(ids: readonly string[]) {
  return Promise.all(ids.map(async (id) => (await fx.cs.getRequest(id))?.status));
}

const auditTypes = async () => (await fx.cs.audit.entries()).map((e) => e.type);

describe('the approval terms on a request page', () => {
  test('reuse is said, the risk called out, and "Approve just this call" opens no window', async () => {
    await setup(REUSABLE);
    const { request, outcome } = await fx.pending({ table: 'orders' }, 'needed', 'sess_a');
    const bob = await signIn('bob');
    const html = await get(`/inbox/requests/${request.id}`, bob);
    expect(html).toContain('This approval may be reused.');
    expect(html).toContain('in this session');
    expect(html).toContain('High risk.');
    expect(html).toContain('value="approve_just_this_call"');

    const response = await post(`/inbox/requests/${request.id}/decide`, bob, [
      ['csrf', bob.csrf],
      ['outcome', 'approve_just_this_call'],
    ]);
    expect(response.headers.get('location')).toContain('notice=approved');
    expect(await outcome).toEqual({ ok: 'exported' });
    expect(await auditTypes()).not.toContain('reuse_opened');
  });

  test('plain Approve under the same rule opens the window (the control)', async () => {
    await setup(REUSABLE);
    const { request, outcome } = await fx.pending({ table: 'orders' }, 'needed', 'sess_a');
    const bob = await signIn('bob');
    await post(`/inbox/requests/${request.id}/decide`, bob, [
      ['csrf', bob.csrf],
      ['outcome', 'approve'],
    ]);
    expect(await outcome).toEqual({ ok: 'exported' });
    expect(await auditTypes()).toContain('reuse_opened');
  });

  test('a rule without reuse offers no "Approve just this call"', async () => {
    await setup();
    const { request } = await fx.pending();
    const bob = await signIn('bob');
    expect(await get(`/inbox/requests/${request.id}`, bob)).not.toContain('approve_just_this_call');
  });

  test('a required comment: said on the page; approving without one records nothing', async () => {
    await setup(COMMENTED);
    const { request } = await fx.pending();
    const bob = await signIn('bob');
    expect(await get(`/inbox/requests/${request.id}`, bob)).toContain('A comment is required');
    const response = await post(`/inbox/requests/${request.id}/decide`, bob, [
      ['csrf', bob.csrf],
      ['outcome', 'approve'],
      ['comment', '   '],
    ]);
    expect(response.headers.get('location')).toContain('notice=comment_required');
    expect((await fx.cs.getRequest(request.id))?.decisions).toEqual([]);
    expect(await auditTypes()).toContain('refused');
  });
});

describe('the batch page of a session', () => {
  async function three(session = 'sess_batch') {
    const asked = [];
    for (let i = 0; i < 3; i++) asked.push(await fx.pending({ table: 'orders', page: i }, 'paging', session));
    return asked;
  }
  const fieldsOf = (html: string): [string, string][] =>
    [...html.matchAll(/name="request" value="([^"]+)"/g)].map((m) => ['request', m[1]!] as [string, string]);

  test('lists the session’s requests with their params hashes; Approve all decides each, audited on its own', async () => {
    await setup();
    const asked = await three();
    await fx.pending({ table: 'elsewhere' }, 'other', 'sess_other');
    const bob = await signIn('bob');
    const inbox = await get('/inbox', bob);
    expect(inbox).toContain('href="/inbox/sessions/sess_batch"');
    const html = await get('/inbox/sessions/sess_batch', bob);
    for (const { request } of asked) expect(html).toContain(`${request.id}:${request.action.paramsHash}`);
    expect(html).not.toContain('elsewhere');

    const response = await post('/inbox/sessions/sess_batch/decide', bob, [
      ['csrf', bob.csrf],
      ['outcome', 'approve'],
      ...fieldsOf(html),
    ]);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/inbox/sessions/sess_batch?notice=batch_approved');
    for (const { outcome } of asked) expect(await outcome).toEqual({ ok: 'exported' });
    // Each request's quorum of one is met by this vote: one `approved` entry each.
    const decided = (await fx.cs.audit.entries()).filter((e) => e.type === 'approved');
    expect(decided.map((e) => [e.approver, e.via])).toEqual(Array(3).fill(['user:bob', 'inbox']));
  });

  test('Deny all denies every listed request', async () => {
    await setup();
    const asked = await three();
    const bob = await signIn('bob');
    const html = await get('/inbox/sessions/sess_batch', bob);
    await post('/inbox/sessions/sess_batch/decide', bob, [
      ['csrf', bob.csrf],
      ['outcome', 'deny'],
      ...fieldsOf(html),
    ]);
    expect(await statuses(asked.map((a) => a.request.id))).toEqual(['denied', 'denied', 'denied']);
  });

  test('a missing or wrong CSRF token, or another origin, decides nothing', async () => {
    await setup();
    const asked = await three();
    const bob = await signIn('bob');
    const fields = fieldsOf(await get('/inbox/sessions/sess_batch', bob));
    for (const [extra, origin] of [
      [[], ORIGIN],
      [[['csrf', 'forged']], ORIGIN],
      [[['csrf', bob.csrf]], 'https://evil.example'],
    ] as [[string, string][], string][]) {
      const response = await post(
        '/inbox/sessions/sess_batch/decide',
        bob,
        [...extra, ['outcome', 'approve'], ...fields],
        origin,
      );
      expect(response.status).toBe(403);
    }
    expect(await statuses(asked.map((a) => a.request.id))).toEqual(['pending', 'pending', 'pending']);
  });

  test('a batch including a request the person may not decide applies nothing and says why', async () => {
    await setup();
    const asked = await three();
    const bob = await signIn('bob');
    const fields = fieldsOf(await get('/inbox/sessions/sess_batch', bob));
    // Mallory is no data owner: not eligible for any of them.
    const mallory = await signIn('mallory');
    const refused = await post('/inbox/sessions/sess_batch/decide', mallory, [
      ['csrf', mallory.csrf],
      ['outcome', 'approve'],
      ...fields,
    ]);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('Nothing was decided');
    expect(await statuses(asked.map((a) => a.request.id))).toEqual(['pending', 'pending', 'pending']);

    // Alice is the one on whose behalf: never hers to decide, even batched with decidable ones.
    const alice = await signIn('alice');
    await post('/inbox/sessions/sess_batch/decide', alice, [
      ['csrf', alice.csrf],
      ['outcome', 'approve'],
      ...fields,
    ]);
    expect(await statuses(asked.map((a) => a.request.id))).toEqual(['pending', 'pending', 'pending']);
  });

  test('a batch with one request already decided applies nothing to the others', async () => {
    await setup();
    const asked = await three();
    const bob = await signIn('bob');
    const fields = fieldsOf(await get('/inbox/sessions/sess_batch', bob));
    await fx.cs.decide(asked[0]!.request.id, { approver: 'user:carol', outcome: 'deny' });
    const refused = await post('/inbox/sessions/sess_batch/decide', bob, [
      ['csrf', bob.csrf],
      ['outcome', 'approve'],
      ...fields,
    ]);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain(asked[0]!.request.id);
    expect(await statuses(asked.map((a) => a.request.id))).toEqual(['denied', 'pending', 'pending']);
  });

  test('a form naming another session’s request, or a changed params hash, decides nothing', async () => {
    await setup();
    const asked = await three();
    const other = await fx.pending({ table: 'elsewhere' }, 'other', 'sess_other');
    const bob = await signIn('bob');
    const fields = fieldsOf(await get('/inbox/sessions/sess_batch', bob));
    const mixed = await post('/inbox/sessions/sess_batch/decide', bob, [
      ['csrf', bob.csrf],
      ['outcome', 'approve'],
      ...fields,
      ['request', `${other.request.id}:${other.request.action.paramsHash}`],
    ]);
    expect(mixed.status).toBe(409);
    const forged = await post('/inbox/sessions/sess_batch/decide', bob, [
      ['csrf', bob.csrf],
      ['outcome', 'approve'],
      ['request', `${asked[0]!.request.id}:${'0'.repeat(64)}`],
    ]);
    expect(forged.status).toBe(409);
    expect(await statuses([...asked, other].map((a) => a.request.id))).toEqual([
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
  });

  test('"Approve all, just these calls" opens no reuse window', async () => {
    await setup(REUSABLE);
    const asked = await three();
    const bob = await signIn('bob');
    const html = await get('/inbox/sessions/sess_batch', bob);
    expect(html).toContain('value="approve_just_these"');
    await post('/inbox/sessions/sess_batch/decide', bob, [
      ['csrf', bob.csrf],
      ['outcome', 'approve_just_these'],
      ...fieldsOf(html),
    ]);
    for (const { outcome } of asked) expect(await outcome).toEqual({ ok: 'exported' });
    expect(await auditTypes()).not.toContain('reuse_opened');
  });
});
