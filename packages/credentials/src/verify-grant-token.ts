// verifyGrantToken(): how a resource server checks a signed grant token offline, and refuses its reuse.
import type { KeyObject } from 'node:crypto';
import { GrantRefusal, GrantRefusedError, readMembers } from '@countersign/core';
import { createLocalJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import type { GrantTokenJwks } from './signed-token-broker.js';

/** Remembers token ids until they expire: the first claim of an id wins, every later one loses. */
export interface ReplayGuard {
  /**
   * Records `jti`, kept until `expiresAt` (epoch ms). MUST return true for the first claim of a
   * `jti` and false for every later one, atomically: of N concurrent claims, exactly one wins.
   * Share one guard (e.g. backed by a database) among every replica of the resource server.
   */
  claim(jti: string, expiresAt: number): boolean | Promise<boolean>;
}

export interface VerifyGrantTokenOptions {
  /** The issuer's published key set; or `publicKey`. */
  jwks?: GrantTokenJwks | undefined;
  /** The issuer's Ed25519 public key; or `jwks`. */
  publicKey?: KeyObject | undefined;
  audience: string;
  issuer: string;
  /**
   * The fingerprint of the call being made, `fingerprintAction({ name, resource, params })` from
   * `@countersign/core`: a token for another call is refused.
   */
  fingerprint?: string | undefined;
  /** The session the call belongs to: a token for another session is refused. */
  sessionId?: string | undefined;
  /** Refuses a token presented twice. Without it, a token can be used until it expires. */
  replay?: ReplayGuard | undefined;
  /** The time to verify at, epoch ms. Default: now. */
  now?: number | undefined;
}

/** A verified token's claims. */
export interface GrantTokenClaims {
  /** The grant id. */
  jti: string;
  iss: string;
  aud: string | string[];
  /** The actor the grant was issued to. */
  sub: string;
  iat: number;
  exp: number;
  fingerprint: string;
  session: string;
  /** The rule's privileges, space-separated. */
  scope: string;
  rule: string;
  /** The approval request, when the grant came from one. */
  request?: string;
}

const OPTION_KEYS = ['jwks', 'publicKey', 'audience', 'issuer', 'fingerprint', 'sessionId', 'replay', 'now'];

/**
 * Verifies a grant token from `createSignedTokenBroker` without calling countersign: its EdDSA
 * signature, issuer, audience and expiry, then the call and session it is bound to, then (with a
 * `replay` guard) that it was never presented before. Throws `GrantRefusedError` (`grant_refused`)
 * with reason `expired`, `action_mismatch`, `session_mismatch`, `consumed`, or `unknown` for a
 * token that is not genuine.
 */
export async function verifyGrantToken(
  token: string,
  options: VerifyGrantTokenOptions,
): Promise<GrantTokenClaims> {
  const read = readMembers(
    options,
    OPTION_KEYS,
    'verifyGrantToken options',
  ) as unknown as VerifyGrantTokenOptions;
  if ((read.jwks === undefined) === (read.publicKey === undefined)) {
    throw new TypeError('verifyGrantToken: pass exactly one of jwks and publicKey');
  }
  let payload: JWTPayload;
  try {
    const verifyOptions = {
      algorithms: ['EdDSA', 'Ed25519'],
      issuer: read.issuer,
      audience: read.audience,
      requiredClaims: ['jti', 'sub', 'exp', 'iat'],
      ...(read.now === undefined ? {} : { currentDate: new Date(read.now) }),
    };
    const result =
      read.jwks !== undefined
        ? await jwtVerify(String(token), createLocalJWKSet(read.jwks as never), verifyOptions)
        : await jwtVerify(String(token), read.publicKey as KeyObject, verifyOptions);
    payload = result.payload;
  } catch (error) {
    const reason = error instanceof errors.JWTExpired ? GrantRefusal.Expired : GrantRefusal.Unknown;
    throw new GrantRefusedError(reason, null);
  }
  const claims = payload as unknown as GrantTokenClaims;
  const grantId = typeof claims.jti === 'string' ? claims.jti : null;
  if (typeof claims.fingerprint !== 'string' || typeof claims.session !== 'string' || grantId === null) {
    throw new GrantRefusedError(GrantRefusal.Unknown, grantId);
  }
  if (read.fingerprint !== undefined && claims.fingerprint !== read.fingerprint) {
    throw new GrantRefusedError(GrantRefusal.ActionMismatch, grantId);
  }
  if (read.sessionId !== undefined && claims.session !== read.sessionId) {
    throw new GrantRefusedError(GrantRefusal.SessionMismatch, grantId);
  }
  if (read.replay !== undefined && !(await read.replay.claim(grantId, claims.exp * 1000))) {
    throw new GrantRefusedError(GrantRefusal.Consumed, grantId);
  }
  return claims;
}

/**
 * A replay guard in this process's memory, forgetting ids once expired. For one process only:
 * replicas of a resource server need a guard they share.
 */
export function createMemoryReplayGuard(now: () => number = Date.now): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    claim(jti, expiresAt) {
      const at = now();
      for (const [id, until] of seen) if (until <= at) seen.delete(id);
      if (seen.has(jti)) return false;
      seen.set(jti, expiresAt);
      return true;
    },
  };
}
