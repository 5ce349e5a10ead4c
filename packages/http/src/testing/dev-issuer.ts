// A development OIDC token issuer: an Ed25519 key, its JWKS served on 127.0.0.1, tokens on demand.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { type Listening, listen } from '../listen.js';

export interface DevIssuer {
  issuer: string;
  audience: string;
  /** Where the JWKS is served; give it to `oidc.jwksUrl`. */
  jwksUrl: string;
  /** A signed token whose `sub` is `subject` (map it with `identityPrefix`, e.g. `bob` → `user:bob`). */
  token(subject: string, options?: { expiresInSeconds?: number | undefined }): Promise<string>;
  close(): Promise<void>;
}

/**
 * For development and tests only: anyone who can call `token()` can be anyone. Production points
 * `oidc` at a real identity provider's issuer and `jwks_uri`.
 */
export async function createDevIssuer(
  options: { issuer?: string | undefined; audience?: string | undefined } = {},
): Promise<DevIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] };
  const server: Listening = await listen(() => Response.json(jwks));
  const issuer = options.issuer ?? 'https://dev-issuer.countersign.invalid';
  const audience = options.audience ?? 'countersign';
  return {
    issuer,
    audience,
    jwksUrl: `${server.url}/jwks.json`,
    token: (subject, tokenOptions = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setSubject(subject)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${tokenOptions.expiresInSeconds ?? 3600}s`)
        .sign(privateKey),
    close: () => server.close(100),
  };
}
