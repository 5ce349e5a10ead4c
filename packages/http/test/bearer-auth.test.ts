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
