// Verifies OIDC/JWT bearer tokens (jose) and maps them to directory identities.
import { type Clock, ConfigError, systemClock } from '@countersign/core';
import {
  createLocalJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import { checkKeys, PREFIX, positiveInteger } from './options.js';
import { KeysUnavailable, remoteJwks } from './remote-jwks.js';

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
  /**
   * Accept only RFC 9068 JWT access tokens: the `typ` header must be `at+jwt` (or `application/at+jwt`),
   * so ID tokens and other JWTs for this audience are refused. Default false.
   */
  requireAccessTokens?: boolean | undefined;
  /**
   * Longest lifetime accepted, `exp - iat`, in seconds; a token without `iat`, or issued in the
   * future, is refused. Default: no limit.
   */
  maxTokenLifetimeSeconds?: number | undefined;
}

/**
 * Why a credential was refused: said to the caller, never the credential itself. `keys_unavailable`
 * when the issuer's keys could not be fetched, so the token could not be checked at all.
 */
export class AuthenticationFailure extends Error {
  constructor(
    readonly reason: string,
    readonly code: 'unauthenticated' | 'keys_unavailable' = 'unauthenticated',
  ) {
    super(reason);
    this.name = 'AuthenticationFailure';
  }

  /** The HTTP status to answer with: 503 when the keys could not be fetched, else 401. */
  get status(): 401 | 503 {
    return this.code === 'keys_unavailable' ? 503 : 401;
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
  'requireAccessTokens',
  'maxTokenLifetimeSeconds',
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
    keys = remoteJwks(new URL(options.jwksUrl), 5_000);
  } else {
    throw new ConfigError(`${PREFIX} oidc needs exactly one of jwksUrl or jwks`);
  }
  const claim = options.identityClaim ?? 'sub';
  const map = options.mapIdentity ?? ((value: string) => `user:${value}`);
  if (options.requireAccessTokens !== undefined && typeof options.requireAccessTokens !== 'boolean') {
    throw new ConfigError(`${PREFIX} oidc.requireAccessTokens must be true or false`);
  }
  const maxLifetime =
    options.maxTokenLifetimeSeconds === undefined
      ? null
      : positiveInteger(options.maxTokenLifetimeSeconds, 0, 'oidc.maxTokenLifetimeSeconds');
  const checks: JWTVerifyOptions = {
    issuer: options.issuer,
    audience: audiences,
    algorithms,
    clockTolerance: tolerance,
    requiredClaims: ['exp'],
    // RFC 9068 section 4: "at+jwt", compared the way jose compares media types (with or without "application/").
    ...(options.requireAccessTokens === true ? { typ: 'at+jwt' } : {}),
    // Requires `iat`, not in the future; the lifetime itself is checked below.
    ...(maxLifetime === null ? {} : { maxTokenAge: maxLifetime }),
  };

  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, { ...checks, currentDate: new Date(clock.now()) }));
      } catch (error) {
        if (error instanceof KeysUnavailable) {
          throw new AuthenticationFailure(
            "bearer token not checked: the issuer's signing keys could not be fetched; try again later",
            'keys_unavailable',
          );
        }
        throw new AuthenticationFailure(`bearer token rejected: ${joseReason(error)}`);
      }
      if (maxLifetime !== null && (payload.exp as number) - (payload.iat as number) > maxLifetime) {
        throw new AuthenticationFailure(
          `bearer token rejected: it is valid for longer than ${maxLifetime} seconds (exp - iat)`,
        );
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
      const { claim, reason } = error as { claim?: unknown; reason?: unknown };
      if (claim === 'typ') return 'not an RFC 9068 access token (its "typ" header must be "at+jwt")';
      if (reason === 'missing') return `it has no "${String(claim)}" claim`;
      return `the "${String(claim)}" claim is not acceptable`;
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'its algorithm is not allowed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'signed by an unknown key';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad signature';
    default:
      return 'malformed';
  }
}
