// The emulator's signing keys: a JWKS with endorsements, and tokens signed like the connector's.
import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** Which key signs a token: one endorsed for `msteams`, one endorsed for another channel only, or one never published. */
export type KeyChoice = 'endorsed' | 'unendorsed' | 'unpublished';

export interface EmulatorKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
  /** null: the key is published without an `endorsements` member. */
  endorsements: readonly string[] | null;
  published: boolean;
}

export async function createKey(
  endorsements: readonly string[] | null,
  published = true,
): Promise<EmulatorKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID().replaceAll('-', '').slice(0, 27);
  const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig' };
  return { kid, privateKey, jwk, endorsements, published };
}

/** The JWKS document: Microsoft's keys carry an `endorsements` list of channel ids. */
export function jwksDocument(keys: readonly EmulatorKey[]): { keys: (JWK & { endorsements?: string[] })[] } {
  return {
    keys: keys
      .filter((k) => k.published)
      .map((k) => (k.endorsements === null ? { ...k.jwk } : { ...k.jwk, endorsements: [...k.endorsements] })),
  };
}

export interface SignTokenOptions {
  key: EmulatorKey;
  /** Epoch milliseconds. */
  now: number;
  claims: Record<string, unknown>;
  header?: Record<string, unknown> | undefined;
  lifetimeSeconds: number;
}

/** A connector-to-bot token: RS256, `iss` api.botframework.com, `aud` the app id, `serviceurl`. */
export async function signToken(options: SignTokenOptions): Promise<string> {
  const seconds = Math.floor(options.now / 1000);
  return new SignJWT({
    iat: seconds,
    nbf: seconds,
    exp: seconds + options.lifetimeSeconds,
    ...options.claims,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: options.key.kid, ...options.header })
    .sign(options.key.privateKey);
}
