// Verifies OIDC/JWT bearer tokens (jose) and maps them to directory identities.
import { type Clock, ConfigError, systemClock } from '@countersign/core';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { checkKeys, PREFIX } from './options.js';

export interface OidcOptions {
  /** The `iss` every token must carry, exactly. */
  issuer: string;
  /** The `aud` a token must contain (one of these). */
  audience: string | readonly string[];
  /** The issuer's JWKS URL (`jwks_uri` in its discovery document). One of `jwksUrl` or `jwks`. */
  jwksUrl?: string | undefined;
  /** A fixed key set, for static keys and tests. */
  jwks?: JSONWebKeySet | undefined;
  /** Accepted `alg` values. Default `['RS256', 'ES256', 'EdDSA']`; `none` and HMAC are refused. */
  algorithms?: readonly string[] | undefined;
  /** Skew allowed on `exp`/`nbf`, in seconds. Default 30, at most 300. */
  clockToleranceSeconds?: number | undefined;
  /** The claim naming the person. Default `'sub'`. */
  identityClaim?: string | undefined;
  /** Maps the claim's value to a directory identity, or null to refuse. Default `'user:' + value`. */
  mapIdentity?: ((value: string, claims: JWTPayload) => string | null | Promise<string | null>) | undefined;
}

/** Why a credential was refused: said to the caller, never the credential itself. */
export class AuthenticationFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuthenticationFailure';
  }
}

export interface BearerVerifier {
  /** The identity a token proves, or throws `AuthenticationFailure`. */
  verify(token: string): Promise<string>;
}

const OIDC_KEYS = [
  'issuer',
  'audience',
  'jwksUrl',
  'jwks',
  'algorithms',
  'clockToleranceSeconds',
  'identityClaim',
  'mapIdentity',
] as const;
const DEFAULT_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
const IDENTITY = /^[^\p{Cc}\p{Cf}]{1,256}$/u;

export function createBearerVerifier(options: OidcOptions, clock: Clock = systemClock): BearerVerifier {
  checkKeys(options, OIDC_KEYS, 'oidc');
  if (typeof options.issuer !== 'string' || options.issuer.length === 0) {
    throw new ConfigError(`${PREFIX} oidc.issuer is required`);
  }
  const audiences = typeof options.audience === 'string' ? [options.audience] : [...(options.audience ?? [])];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a.length === 0)) {
    throw new ConfigError(`${PREFIX} oidc.audience is required`);
  }
  const algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
  for (const alg of algorithms) {
    if (alg === 'none' || alg.startsWith('HS')) {
      throw new ConfigError(
        `${PREFIX} oidc.algorithms must not contain "${alg}": only asymmetric algorithms verify against a JWKS`,
      );
    }
  }
  const tolerance = options.clockToleranceSeconds ?? 30;
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300) {
    throw new ConfigError(`${PREFIX} oidc.clockToleranceSeconds must be between 0 and 300`);
  }
  let keys: JWTVerifyGetKey;
  if (options.jwks !== undefined && options.jwksUrl === undefined) {
    keys = createLocalJWKSet(options.jwks);
  } else if (options.jwksUrl !== undefined && options.jwks === undefined) {
    keys = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 5_000 });
  } else {
    throw new ConfigError(`${PREFIX} oidc needs exactly one of jwksUrl or jwks`);
  }
  const claim = options.identityClaim ?? 'sub';
  const map = options.mapIdentity ?? ((value: string) => `user:${value}`);

  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: audiences,
          algorithms,
          clockTolerance: tolerance,
          currentDate: new Date(clock.now()),
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        throw new AuthenticationFailure(`bearer token rejected: ${joseReason(error)}`);
      }
      const value = payload[claim];
      if (typeof value !== 'string' || value.length === 0) {
        throw new AuthenticationFailure(`bearer token rejected: no "${claim}" claim to identify you by`);
      }
      const identity = await map(value, payload);
      if (identity === null || !IDENTITY.test(identity)) {
        throw new AuthenticationFailure('bearer token rejected: it maps to no directory identity');
      }
      return identity;
    },
  };
}

function joseReason(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const name = (error as { claim?: unknown }).claim;
      return `the "${String(name)}" claim is not acceptable`;
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'its algorithm is not allowed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'signed by an unknown key';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad signature';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JOSE_GENERIC':
      return 'the issuer keys could not be fetched';
    default:
      return 'malformed';
  }
}
