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

async function setup() {
  fx = fixture();
  issuer = await testIssuer();
  app = createDecisionApi(fx.cs, {
    store: fx.store,
    oidc: { issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks },
    inbox: true,
    publicUrl: 'http://inbox.test',
  });
}

async function signIn(who: string): Promise<{ cookie: string; csrf: string }> {
  const token = await issuer.token({ sub: who });
  const response = await app.request('http://inbox.test/inbox/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://inbox.test' },
    body: new URLSearchParams({ token, next: '/inbox' }).toString(),
  });
  expect(response.status).toBe(303);
  const setCookie = response.headers.get('set-cookie') ?? '';
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Lax/i);
  const cookie = setCookie.split(';')[0] as string;
  const inbox = await (await app.request('http://inbox.test/inbox', { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(inbox)?.[1] ?? '';
  expect(csrf).not.toBe('');
  return { cookie, csrf };
}

function decide(
  id: string,
  session: { cookie: string },
  fields: Record<string, string>,
  origin = 'http://inbox.test',
) {
  return app.request(`http://inbox.test/inbox/requests/${id}/decide`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie, origin },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('inbox pages', () => {
  test('signed out, every page asks for a token; a bad token signs nobody in', async () => {
    await setup();
    const { request } = await fx.pending();
    const page = await app.request(`http://inbox.test/inbox/requests/${request.id}`);
    const text = await page.text();
    expect(text).toContain('name="token"');
    expect(text).not.toContain(request.reason);
    const bad = await app.request('http://inbox.test/inbox/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 'not.a.token', next: '/inbox' }).toString(),
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
  });

  test('a strict CSP, no inline script, and the approval page shows the presentation', async () => {
    await setup();
    const { request } = await fx.pending({ table: 'customers', password: 'hunter2-secret' });
    const session = await signIn('bob');
    const response = await app.request(`http://inbox.test/inbox/requests/${request.id}`, {
      headers: { cookie: session.cookie },
    });
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const html = await response.text();
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script src="/inbox/assets/inbox.js" defer>']);
    expect(html).toContain('Stated by the agent, unverified');
    expect(html).toContain(request.action.paramsHash);
    expect(html).toContain('[REDACTED]');
    expect(html).not.toContain('hunter2');
    expect(html).toContain('exports-need-approval');
    expect(html).toContain('0 of 1');
    expect(html).toContain('data-expires=');
  });

  test('injection in params and reason is escaped; bidi controls are shown, not obeyed', async () => {
    await setup();
    const { request } = await fx.pending(
      { note: '<script>alert(1)</script>', link: 'javascript:alert(2)', img: '<img src=x onerror=alert(3)>' },
      'please \u202Etxt.exe\u202C <img src=x onerror=alert(4)> <a href="javascript:alert(5)">x</a>',
    );
    const session = await signIn('bob');
    const html = await (
      await app.request(`http://inbox.test/inbox/requests/${request.id}`, {
        headers: { cookie: session.cookie },
      })
    ).text();
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toMatch(/<a [^>]*href="javascript:/);
    expect(html).not.toContain('\u202E');
    expect(html).toContain('⟨U+202E⟩');
    expect(html).toContain('&lt;img src=x onerror=alert(4)&gt;');
  });

  test('a param after a 3,000-character param is on the request and session pages: the inbox cuts nothing', async () => {
    await setup();
    const params = { body: 'x'.repeat(3_000), zzz: 'after the long one' };
    const first = await fx.pending(params, 'first', 'sess_long');
    await fx.pending({ ...params, zzz: 'second request' }, 'second', 'sess_long');
    const session = await signIn('bob');
    const page = async (path: string) =>
      (await app.request(`http://inbox.test${path}`, { headers: { cookie: session.cookie } })).text();
    const html = await page(`/inbox/requests/${first.request.id}`);
    expect(html).toContain(`&quot;body&quot;: &quot;${'x'.repeat(3_000)}&quot;`);
    expect(html).toContain('&quot;zzz&quot;: &quot;after the long one&quot;');
    expect(html).toContain('2 params, all shown below: <code>body</code>, <code>zzz</code>');
    expect(html).not.toContain('…');
    const batch = await page('/inbox/sessions/sess_long');
    expect(batch).toContain('&quot;zzz&quot;: &quot;after the long one&quot;');
    expect(batch).toContain('&quot;zzz&quot;: &quot;second request&quot;');
  });

  test('every hidden character is a marker: tag characters, soft hyphen, isolates, BOM and the rest', async () => {
    await setup();
    const tags = Array.from('IGNORE', (c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    const hidden = ['\u00AD', '\u2066', '\u2069', '\uFEFF', '\u180E', '\u{1D173}', '\u{E0041}'];
    const { request } = await fx.pending(
      { note: `pay${hidden.join('')}${tags}`, [`key\u00AD${tags}`]: 1 },
      `approve\u00AD this${tags} \u2066now\u2069 \uFEFF\u180E\u{1D173}`,
    );
    const session = await signIn('bob');
    const html = await (
      await app.request(`http://inbox.test/inbox/requests/${request.id}`, {
        headers: { cookie: session.cookie },
      })
    ).text();
    for (const char of [...hidden, ...tags]) {
      expect(html, char.codePointAt(0)!.toString(16)).not.toContain(char);
    }
    for (const marker of [
      'U+00AD',
      'U+2066',
      'U+2069',
      'U+FEFF',
      'U+180E',
      'U+1D173',
      'U+E0041',
      'U+E0049',
    ]) {
      expect(html).toContain(`<span class="cp" title="hidden character">⟨${marker}⟩</span>`);
    }
  });

  test('sign-in only redirects within the inbox', async () => {
    await setup();
    const token = await issuer.token({ sub: 'bob' });
    for (const next of ['//evil.test/inbox', 'https://evil.test', '/inbox/../admin', 'javascript:alert(1)']) {
      const response = await app.request('http://inbox.test/inbox/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, next }).toString(),
      });
      expect(response.status, next).toBe(400);
      expect(response.headers.get('set-cookie')).toBeNull();
    }
  });

  test('a non-approver sees no request page and no request in the list', async () => {
    await setup();
    const { request } = await fx.pending();
    const session = await signIn('mallory');
    const detail = await app.request(`http://inbox.test/inbox/requests/${request.id}`, {
      headers: { cookie: session.cookie },
    });
    expect(detail.status).toBe(403);
    const list = await (
      await app.request('http://inbox.test/inbox', { headers: { cookie: session.cookie } })
    ).text();
    expect(list).toContain('Nothing is waiting');
  });
});

describe('inbox decisions', () => {
  test('without the CSRF token, or from another origin, nothing is recorded', async () => {
    await setup();
    const { request } = await fx.pending();
    const session = await signIn('bob');
    const missing = await decide(request.id, session, { outcome: 'approve' });
    expect(missing.status).toBe(403);
    const wrong = await decide(request.id, session, { outcome: 'approve', csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    const crossSite = await decide(
      request.id,
      session,
      { outcome: 'approve', csrf: session.csrf },
      'https://evil.test',
    );
    expect(crossSite.status).toBe(403);
    expect((await fx.cs.getRequest(request.id))?.decisions).toEqual([]);
  });

  test('with the token, the decision is recorded as the signed-in person and the agent resumes', async () => {
    await setup();
    const { request, outcome } = await fx.pending();
    const session = await signIn('bob');
    const response = await decide(request.id, session, {
      outcome: 'approve',
      comment: 'ok',
      csrf: session.csrf,
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/inbox/requests/${request.id}?notice=approved`);
    expect(await outcome).toEqual({ ok: 'exported' });
    expect((await fx.cs.getRequest(request.id))?.decisions[0]).toMatchObject({
      approver: 'user:bob',
      via: 'inbox',
      comment: 'ok',
    });
  });

  test('self-approval from the inbox is refused and audited', async () => {
    await setup();
    const { request } = await fx.pending();
    const session = await signIn('alice');
    const response = await decide(request.id, session, { outcome: 'approve', csrf: session.csrf });
    expect(response.headers.get('location')).toContain('notice=self_approval');
    expect((await fx.cs.audit.entries()).map((e) => e.type)).toContain('refused');
    expect((await fx.cs.getRequest(request.id))?.status).toBe('pending');
  });
});

describe('live updates', () => {
  test('the event stream under 200 pending requests: a snapshot of all, then each change', async () => {
    await setup();
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push((await fx.pending({ n: i })).request.id);
    const session = await signIn('bob');
    const response = await app.request('http://inbox.test/inbox/events', {
      headers: { cookie: session.cookie },
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextEvent = async (name: string): Promise<unknown> => {
      for (;;) {
        const match = new RegExp(`event: ${name}\\ndata: (.*)\\n\\n`).exec(buffer);
        if (match) {
          buffer = buffer.slice((match.index ?? 0) + match[0].length);
          return JSON.parse(match[1] as string);
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    };
    const snapshot = (await nextEvent('snapshot')) as { pending: string[] };
    expect(snapshot.pending).toHaveLength(200);
    expect([...snapshot.pending].sort()).toEqual([...ids].sort());
    await nextEvent('ready');
    const target = ids[137] as string;
    await fx.cs.decide(target, { approver: 'user:carol', outcome: 'deny', comment: 'no' });
    const change = (await nextEvent('changed')) as { id: string; status: string };
    expect(change).toMatchObject({ id: target, status: 'denied' });
    await reader.cancel();
  });

  test('closing the app ends open streams', async () => {
    await setup();
    const session = await signIn('bob');
    const response = await app.request('http://inbox.test/inbox/events', {
      headers: { cookie: session.cookie },
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('event: ready')) text += new TextDecoder().decode((await reader.read()).value);
    await app.close();
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
  });

  test('the event stream needs a session', async () => {
    await setup();
    expect((await app.request('http://inbox.test/inbox/events')).status).toBe(401);
  });
});
