// createSignedTokenBroker(): an Ed25519 JWT per grant, bound to the call, that a resource server verifies offline.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  ConfigError,
  type CredentialBroker,
  type CredentialRequest,
  type Credentials,
  readMembers,
} from '@countersign/core';
import { SignJWT } from 'jose';

export interface SignedTokenBrokerOptions {
  /** The Ed25519 private key that signs grant tokens: a KeyObject or a PKCS#8 PEM string. */
  privateKey: KeyObject | string;
  /** The `kid` in every token's header and in the published JWKS. */
  keyId: string;
  /** The `iss` claim: who issues grants, e.g. `'https://countersign.example.com'`. */
  issuer: string;
  /** The `aud` claim: the resource server the tokens are for. */
  audience: string;
}

/** One public key as published: Ed25519, for EdDSA signatures. */
export interface GrantTokenJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

/** The JWKS document to publish (e.g. at `/.well-known/jwks.json`) for resource servers. */
export interface GrantTokenJwks {
  keys: GrantTokenJwk[];
}

export interface SignedTokenBroker extends CredentialBroker {
  /** The public key set, without any private member, for `verifyGrantToken({ jwks })`. */
  readonly jwks: GrantTokenJwks;
}

const OPTION_KEYS = ['privateKey', 'keyId', 'issuer', 'audience'];
const NAME = 'signed-token';
/** RFC 6749 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/;

/**
 * Issues, for each grant, a JWT signed with Ed25519 (`alg: EdDSA`) whose claims bind the call:
 * `jti` the grant id, `sub` the actor, `fingerprint` the action's fingerprint, `session` the
 * session, `scope` the rule's privileges (scope tokens such as `orders:read`), and `exp` the
 * grant's expiry. `run` gets `{ token }`. A token cannot be recalled once handed out: it dies at
 * `exp`, and at its first use where the resource server keeps a replay guard (`verifyGrantToken`).
 */
export function createSignedTokenBroker(options: SignedTokenBrokerOptions): SignedTokenBroker {
  const read = readMembers(options, OPTION_KEYS, `${NAME} broker options`, 'config') as Partial<
    Record<keyof SignedTokenBrokerOptions, unknown>
  >;
  const privateKey = readPrivateKey(read.privateKey);
  for (const key of ['keyId', 'issuer', 'audience'] as const) {
    const value = read[key];
    if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
      throw new ConfigError(`${NAME}: ${key} must be a non-empty string`);
    }
  }
  const keyId = read.keyId as string;
  const issuer = read.issuer as string;
  const audience = read.audience as string;
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
  const jwks: GrantTokenJwks = {
    keys: [{ kty: 'OKP', crv: 'Ed25519', x: String(x), kid: keyId, alg: 'EdDSA', use: 'sig' }],
  };

  return {
    name: NAME,
    jwks,

    checkPrivileges(privileges) {
      return privileges
        .filter((privilege) => !SCOPE_TOKEN.test(privilege))
        .map(
          (privilege) =>
            `${NAME}: ${JSON.stringify(privilege)} is not a scope token (printable ASCII without spaces, quotes or backslashes)`,
        );
    },

    handle(request: CredentialRequest) {
      return `jti:${request.grantId}`;
    },

    async issue(request, handle) {
      if (handle !== `jti:${request.grantId}`) throw new Error(`${NAME}: the handle is not this grant's`);
      const exp = Math.floor(request.expiresAt / 1000);
      const iat = Math.floor(request.issuedAt / 1000);
      if (exp <= Math.floor(Date.now() / 1000)) throw new Error(`${NAME}: the grant has already expired`);
      const claims: Record<string, unknown> = {
        fingerprint: request.fingerprint,
        session: request.sessionId,
        scope: request.privileges.join(' '),
        rule: request.ruleId,
      };
      if (request.requestId !== null) claims.request = request.requestId;
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', kid: keyId, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(request.actor)
        .setJti(request.grantId)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(exp)
        .sign(privateKey);
      const credentials: Credentials = { token };
      return credentials;
    },

    async revoke(handle) {
      // Nothing to destroy: the token dies at `exp`, and at first use where a replay guard is kept.
      if (!handle.startsWith('jti:'))
        throw new Error(`${NAME}: ${JSON.stringify(handle)} is not a token handle`);
    },
  };
}

function readPrivateKey(value: unknown): KeyObject {
  let key: KeyObject;
  try {
    key = typeof value === 'string' ? createPrivateKey(value) : (value as KeyObject);
  } catch (error) {
    throw new ConfigError(`${NAME}: privateKey is not a PEM private key`, { cause: error });
  }
  const usable =
    typeof key === 'object' &&
    key !== null &&
    (key as KeyObject).type === 'private' &&
    (key as KeyObject).asymmetricKeyType === 'ed25519';
  if (!usable) {
    throw new ConfigError(
      `${NAME}: privateKey must be an Ed25519 private key (generateKeyPairSync('ed25519').privateKey, or its PKCS#8 PEM)`,
    );
  }
  return key;
}
