import { createTestClock } from '@countersign/core/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { AuthenticationFailure, createBearerVerifier, type Listening, listen } from '../src/index.js';
import { AUDIENCE, ISSUER, testIssuer } from './helpers.js';

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (error instanceof AuthenticationFailure) return error.reason;
    throw error;
  }
}

describe('bearer tokens', () => {
  test('exp and nbf are honoured with the bounded skew, on the injected clock', async () => {
    const issuer = await testIssuer();
    const start = Date.now();
    const clock = createTestClock(start);
    const verifier = createBearerVerifier(
      { issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, clockToleranceSeconds: 30 },
      clock,
    );
    const token = await issuer.token({ sub: 'bob' }, { expiresIn: Math.floor(start / 1000) + 60 });
    expect(await verifier.verify(token)).toBe('user:bob');
    await clock.advance(80_000);
    expect(await verifier.verify(token)).toBe('user:bob');
    await clock.advance(20_000);
    expect(await reason(verifier.verify(token))).toContain('expired');
    const early = await issuer.token(
      { sub: 'bob' },
      { notBefore: Math.floor(start / 1000) + 200, expiresIn: Math.floor(start / 1000) + 900 },
    );
    expect(await reason(verifier.verify(early))).toContain('"nbf"');
  });

  test('a token without exp is refused', async () => {
    const issuer = await testIssuer();
    const verifier = createBearerVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks });
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k' }] };
    const noExp = await new SignJWT({ sub: 'bob' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(privateKey);
    const strict = createBearerVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks });
    expect(await reason(strict.verify(noExp))).toContain('"exp"');
    expect(await reason(verifier.verify('a.b'))).toBe('bearer token rejected: malformed');
  });

  test('the identity mapping can refuse, and identities with control characters are refused', async () => {
    const issuer = await testIssuer();
    const verifier = createBearerVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: issuer.jwks,
      identityClaim: 'email',
      mapIdentity: (email) => (email.endsWith('@example.com') ? `user:${email.split('@')[0]}` : null),
    });
    expect(await verifier.verify(await issuer.token({ email: 'bob@example.com' }))).toBe('user:bob');
    expect(await reason(verifier.verify(await issuer.token({ email: 'eve@evil.test' })))).toContain(
      'no directory identity',
    );
    expect(await reason(verifier.verify(await issuer.token({ email: 'b\u202Eob@example.com' })))).toContain(
      'no directory identity',
    );
    expect(await reason(verifier.verify(await issuer.token({ sub: 'bob' })))).toContain('"email"');
  });

  test('keys are fetched from the JWKS URL; a key the issuer does not publish is unknown', async () => {
    const issuer = await testIssuer();
    let fetches = 0;
    const jwks: Listening = await listen(() => {
      fetches += 1;
      return Response.json(issuer.jwks);
    });
    try {
      const verifier = createBearerVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl: `${jwks.url}/jwks`,
      });
      expect(await verifier.verify(await issuer.token({ sub: 'carol' }))).toBe('user:carol');
      expect(await verifier.verify(await issuer.token({ sub: 'carol' }))).toBe('user:carol');
      expect(fetches).toBe(1);
      const stranger = await testIssuer('key-9');
      expect(await reason(verifier.verify(await stranger.token({ sub: 'carol' })))).toContain('unknown key');
    } finally {
      await jwks.close(100);
    }
  });

  test('configuration mistakes are named', () => {
    expect(() =>
      createBearerVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] }, algorithms: ['HS256'] }),
    ).toThrow(/HS256/);
    expect(() => createBearerVerifier({ issuer: ISSUER, audience: AUDIENCE })).toThrow(
      /exactly one of jwksUrl or jwks/,
    );
    expect(() => createBearerVerifier({ issuer: '', audience: AUDIENCE, jwks: { keys: [] } })).toThrow(
      /issuer/,
    );
    expect(() =>
      createBearerVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: { keys: [] },
        clockToleranceSeconds: 3600,
      }),
    ).toThrow(/300/);
  });
});

/** A JWKS URL on 127.0.0.1 that nothing listens on any more. */
async function closedJwksUrl(): Promise<string> {
  const server = await listen(() => new Response('gone'));
  await server.close(0);
  return `${server.url}/jwks`;
}

async function failure(promise: Promise<unknown>): Promise<AuthenticationFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthenticationFailure) return error;
    throw error;
  }
  throw new Error('the token was accepted');
}

describe('keys that cannot be fetched', () => {
  test('a JWKS URL nobody listens on: the token is not checked (keys_unavailable), not called malformed', async () => {
    const issuer = await testIssuer();
    const verifier = createBearerVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: await closedJwksUrl(),
    });
    const refused = await failure(verifier.verify(await issuer.token({ sub: 'bob' })));
    expect(refused.code).toBe('keys_unavailable');
    expect(refused.status).toBe(503);
    expect(refused.reason).toContain("the issuer's signing keys could not be fetched");
    expect(refused.reason).not.toContain('malformed');
    // A token that is not a JWT at all is still malformed: it never needs the keys.
    const garbage = await failure(verifier.verify('a.b'));
    expect(garbage.code).toBe('unauthenticated');
    expect(garbage.reason).toBe('bearer token rejected: malformed');
  });

  test('a JWKS URL answering 500, or 200 with no key set, is keys_unavailable; once it recovers, tokens pass', async () => {
    const issuer = await testIssuer();
    let answer: () => Response = () => new Response('oops', { status: 500 });
    const jwks: Listening = await listen(() => answer());
    try {
      const verifier = createBearerVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl: `${jwks.url}/jwks`,
      });
      const token = await issuer.token({ sub: 'bob' });
      expect((await failure(verifier.verify(token))).code).toBe('keys_unavailable');
      answer = () => new Response('<html>', { status: 200 });
      expect((await failure(verifier.verify(token))).code).toBe('keys_unavailable');
      answer = () => Response.json({ keys: 'none' });
      expect((await failure(verifier.verify(token))).code).toBe('keys_unavailable');
      answer = () => new Response(null, { status: 302, headers: { location: 'http://evil.test/jwks' } });
      expect((await failure(verifier.verify(token))).code).toBe('keys_unavailable');
      answer = () => Response.json(issuer.jwks);
      expect(await verifier.verify(token)).toBe('user:bob');
      // A key the issuer does not publish is still the token's fault.
      const stranger = await testIssuer('key-9');
      const unknown = await failure(verifier.verify(await stranger.token({ sub: 'bob' })));
      expect(unknown.code).toBe('unauthenticated');
      expect(unknown.reason).toContain('unknown key');
    } finally {
      await jwks.close(100);
    }
  });
});

describe('RFC 9068 access tokens and token lifetime', () => {
  test('requireAccessTokens accepts typ at+jwt (any case, with or without application/) and refuses the rest', async () => {
    const issuer = await testIssuer();
    const strict = createBearerVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: issuer.jwks,
      requireAccessTokens: true,
    });
    for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT']) {
      expect(await strict.verify(await issuer.token({ sub: 'bob' }, { typ })), typ).toBe('user:bob');
    }
    for (const typ of [undefined, 'JWT', 'id_token+jwt', 'at+jwt2', 'text/at+jwt']) {
      const token = await issuer.token({ sub: 'bob' }, typ === undefined ? {} : { typ });
      expect(await reason(strict.verify(token)), String(typ)).toContain('not an RFC 9068 access token');
    }
    const lenient = createBearerVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks });
    expect(await lenient.verify(await issuer.token({ sub: 'bob' }))).toBe('user:bob');
  });

  test('maxTokenLifetimeSeconds refuses a long-lived token, one without iat and one issued in the future', async () => {
    const issuer = await testIssuer();
    const start = Date.now();
    const clock = createTestClock(start);
    const now = Math.floor(start / 1000);
    const verifier = createBearerVerifier(
      { issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks, maxTokenLifetimeSeconds: 600 },
      clock,
    );
    const within = await issuer.token({ sub: 'bob' }, { issuedAt: now, expiresIn: now + 600 });
    expect(await verifier.verify(within)).toBe('user:bob');
    const long = await issuer.token({ sub: 'bob' }, { issuedAt: now, expiresIn: now + 601 });
    expect(await reason(verifier.verify(long))).toContain('longer than 600 seconds');
    const noIat = await issuer.token({ sub: 'bob' }, { issuedAt: null, expiresIn: now + 60 });
    expect(await reason(verifier.verify(noIat))).toContain('no "iat" claim');
    // A future iat would make a token valid now look short-lived.
    const future = await issuer.token({ sub: 'bob' }, { issuedAt: now + 86_400, expiresIn: now + 86_700 });
    expect(await reason(verifier.verify(future))).toContain('"iat"');
    const expired = await issuer.token({ sub: 'bob' }, { issuedAt: now - 400, expiresIn: now - 100 });
    expect(await reason(verifier.verify(expired))).toContain('expired');
    // Without the option, lifetime is the issuer's business.
    const lenient = createBearerVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks }, clock);
    expect(await lenient.verify(await issuer.token({ sub: 'bob' }, { expiresIn: now + 86_400 }))).toBe(
      'user:bob',
    );
  });

  test('the new options are checked', () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] } };
    expect(() => createBearerVerifier({ ...base, maxTokenLifetimeSeconds: 0 })).toThrow(
      /oidc.maxTokenLifetimeSeconds must be a positive integer/,
    );
    expect(() => createBearerVerifier({ ...base, maxTokenLifetimeSeconds: 1.5 })).toThrow(
      /maxTokenLifetimeSeconds/,
    );
    expect(() => createBearerVerifier({ ...base, requireAccessTokens: 'yes' as never })).toThrow(
      /requireAccessTokens must be true or false/,
    );
    expect(() => createBearerVerifier({ ...base, maxTokenLifetime: 60 } as never)).toThrow(
      /unknown option "maxTokenLifetime"/,
    );
  });
});
