// Verifies the Bot Connector's bearer token on an inbound activity, as Microsoft documents it.
import { decodeProtectedHeader, errors, importJWK, jwtVerify } from 'jose';
import { KeysUnavailableError, type OpenIdKeys } from './openid-keys.js';

/** The issuer of every token the Bot Connector sends to a bot. */
export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';
/** Clock skew Microsoft allows on `exp` and `nbf`. */
export const CLOCK_SKEW_SECONDS = 300;

export type TokenFailure =
  | 'missing'
  | 'malformed'
  | 'alg_not_allowed'
  | 'unknown_kid'
  | 'unendorsed'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'serviceurl_mismatch'
  | 'keys_unavailable';

export type TokenCheck = { ok: true } | { ok: false; reason: TokenFailure };

export interface VerifyConnectorTokenOptions {
  /** The `Authorization` header as received. */
  authorization: string | null;
  keys: OpenIdKeys;
  /** The bot's Microsoft App ID: the token's required audience. */
  appId: string;
  /** The activity's `channelId`: the signing key must be endorsed for it. */
  channelId: string;
  /** The activity's `serviceUrl`: the token's `serviceurl` claim must equal it. */
  serviceUrl: string;
  /** Epoch milliseconds. */
  now: number;
}

/**
 * Checks, in Microsoft's order: a bearer JWT signed with RS256 by a key from the OpenID metadata's
 * JWKS that is endorsed for the channel (when the key lists endorsements), issued by https://api.botframework.com for this app id,
 * within `exp`/`nbf` allowing five minutes of skew, for exactly the activity's serviceUrl.
 */
export async function verifyConnectorToken(options: VerifyConnectorTokenOptions): Promise<TokenCheck> {
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(options.authorization ?? '');
  if (match === null) return { ok: false, reason: options.authorization ? 'malformed' : 'missing' };
  const token = match[1]!;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (header.alg !== 'RS256') return { ok: false, reason: 'alg_not_allowed' };
  if (typeof header.kid !== 'string' || header.kid.length === 0) return { ok: false, reason: 'unknown_kid' };
  let key: Awaited<ReturnType<OpenIdKeys['key']>>;
  try {
    key = await options.keys.key(header.kid);
  } catch (error) {
    if (error instanceof KeysUnavailableError) return { ok: false, reason: 'keys_unavailable' };
    throw error;
  }
  if (key === null) return { ok: false, reason: 'unknown_kid' };
  // A key without endorsements may sign for any channel, as in Microsoft's validator (see SigningKey).
  if (key.endorsements !== null && !key.endorsements.includes(options.channelId))
    return { ok: false, reason: 'unendorsed' };
  let payload: Record<string, unknown>;
  try {
    const publicKey = await importJWK(key.jwk, 'RS256');
    ({ payload } = await jwtVerify(token, publicKey, {
      algorithms: ['RS256'],
      issuer: BOT_FRAMEWORK_ISSUER,
      audience: options.appId,
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: new Date(options.now),
      requiredClaims: ['exp'],
    }));
  } catch (error) {
    return { ok: false, reason: joseFailure(error) };
  }
  if (payload.serviceurl !== options.serviceUrl) return { ok: false, reason: 'serviceurl_mismatch' };
  return { ok: true };
}

function joseFailure(error: unknown): TokenFailure {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'not_yet_valid';
    if (error.claim === 'iss') return 'wrong_issuer';
    if (error.claim === 'aud') return 'wrong_audience';
    return 'malformed';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  return 'malformed';
}
