import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { VERB } from '../src/index.js';
import type { ClickForgery } from '../src/testing/index.js';
import { BOB, DAN, type Harness, setup } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function clickWith(forge: ClickForgery, user = BOB) {
  const asked = await h.ask();
  const result = await h.teams.click({ user, activityId: asked.activityId, verb: VERB.Approve, forge });
  const request = await h.cs.getRequest(asked.request.id);
  return { result, decisions: request?.decisions ?? [], asked };
}

function claims(overrides: Record<string, unknown> = {}) {
  const now = Math.floor(h.clock.now() / 1000);
  return {
    iss: 'https://api.botframework.com',
    aud: h.teams.appId,
    serviceurl: h.teams.serviceUrl,
    iat: now,
    nbf: now,
    exp: now + 3600,
    ...overrides,
  };
}

describe('the connector token is verified as Microsoft documents', () => {
  const seconds = () => Math.floor(h.clock.now() / 1000);
  test.each<[string, () => ClickForgery, string]>([
    ['missing', () => ({ authorization: null }), 'missing'],
    ['not a bearer JWT', () => ({ authorization: 'Basic Ym90OnBhc3M=' }), 'malformed'],
    [
      'expired beyond the 5 minute skew',
      () => ({ claims: { iat: seconds() - 4000, exp: seconds() - 301 } }),
      'expired',
    ],
    ['not yet valid beyond the skew', () => ({ claims: { nbf: seconds() + 301 } }), 'not_yet_valid'],
    ['without exp', () => ({ claims: { exp: undefined } }), 'malformed'],
    ['for another audience', () => ({ claims: { aud: 'another-bot-app-id' } }), 'wrong_audience'],
    ['from another issuer', () => ({ claims: { iss: 'https://sts.windows.net/evil/' } }), 'wrong_issuer'],
    ['signed by an unpublished key (unknown kid)', () => ({ key: 'unpublished' }), 'unknown_kid'],
    ['signed by a key not endorsed for msteams', () => ({ key: 'unendorsed' }), 'unendorsed'],
    [
      'whose serviceurl claim differs from the activity',
      () => ({ claims: { serviceurl: 'https://evil.example/teams/' } }),
      'serviceurl_mismatch',
    ],
    [
      'for an activity whose serviceUrl was changed',
      () => ({ activity: (a) => Object.assign(a, { serviceUrl: 'https://evil.example/teams/' }) }),
      'serviceurl_mismatch',
    ],
  ])('a token %s is refused with 401 and decides nothing', async (_, forge, reason) => {
    h = await setup();
    const { result, decisions } = await clickWith(forge());
    expect(result.status).toBe(401);
    expect(decisions).toEqual([]);
    expect(h.logs.join('\n')).toContain(`refused an activity: ${reason}`);
  });

  test('alg none is refused', async () => {
    h = await setup();
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`;
    const { result, decisions } = await clickWith({ authorization: `Bearer ${token}` });
    expect(result.status).toBe(401);
    expect(decisions).toEqual([]);
    expect(h.logs.join('\n')).toContain('alg_not_allowed');
  });

  test('HS256 signed with the published public key is refused', async () => {
    h = await setup();
    const jwk = h.teams.jwks().keys[0]!;
    const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: jwk.kid })}.${b64(claims())}`;
    for (const secret of [JSON.stringify(jwk), String(jwk.n)]) {
      const signature = createHmac('sha256', secret).update(input).digest('base64url');
      const { result, decisions } = await clickWith({ authorization: `Bearer ${input}.${signature}` });
      expect(result.status).toBe(401);
      expect(decisions).toEqual([]);
    }
    expect(h.logs.filter((l) => l.includes('alg_not_allowed'))).toHaveLength(2);
  });

  test('a token whose signature was altered is refused', async () => {
    h = await setup();
    const token = await h.teams.mintToken();
    const [head, body, signature] = token.split('.');
    const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    const { result } = await clickWith({ authorization: `Bearer ${head}.${body}.${flipped}` });
    expect(result.status).toBe(401);
    expect(h.logs.join('\n')).toContain('bad_signature');
  });

  test('exp and nbf allow five minutes of skew, no more', async () => {
    h = await setup();
    const edge = await clickWith({
      claims: { iat: seconds() - 4000, exp: seconds() - 299, nbf: seconds() - 4000 },
    });
    expect(edge.result.status).toBe(200);
    expect(edge.decisions).toHaveLength(1);
    const early = await clickWith({ claims: { nbf: seconds() + 299 } }, DAN);
    expect(early.result.status).toBe(200);
  });

  test('keys are cached, and an unknown kid refetches them (rotation), at most once a minute', async () => {
    h = await setup();
    await clickWith({});
    const fetches = () => h.teams.calls.filter((c) => c.route === 'jwks').length;
    expect(fetches()).toBe(1);
    await clickWith({}, DAN);
    expect(fetches()).toBe(1);
    await h.teams.rotateKeys();
    const tooSoon = await clickWith({});
    expect(tooSoon.result.status).toBe(401);
    expect(fetches()).toBe(1);
    await h.clock.advance(61_000);
    const rotated = await clickWith({});
    expect(rotated.result.status).toBe(200);
    expect(fetches()).toBe(2);
  });

  test('unreachable key metadata fails closed with 503', async () => {
    h = await setup({
      transport: { openIdMetadataUrl: 'http://127.0.0.1:9/v1/.well-known/openidconfiguration' },
    });
    const { result, decisions } = await clickWith({});
    expect(result.status).toBe(503);
    expect(decisions).toEqual([]);
  });

  test('a channel other than msteams is refused even with a token endorsed for it', async () => {
    h = await setup();
    const { result, decisions } = await clickWith({
      key: 'unendorsed',
      activity: (a) => Object.assign(a, { channelId: 'webchat' }),
    });
    expect(result.status).toBe(400);
    expect(decisions).toEqual([]);
  });
});
