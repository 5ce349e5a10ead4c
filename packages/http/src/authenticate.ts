// Establishes who is calling, from credentials only: a bearer token or a relay's signature.
import { AuthenticationFailure, type BearerVerifier } from './bearer-auth.js';
import type { RelayAuthenticator } from './relay-auth.js';

export interface Caller {
  /** Directory identity, e.g. `user:bob` or `bot:oncall`. */
  identity: string;
  /** The channel recorded as `via` on decisions: `'api'` or `'relay:<name>'`. */
  via: string;
}

/** A failure's `code` is `keys_unavailable` when the token could not be checked at all (answer 503, not 401). */
export type Authentication =
  | { caller: Caller }
  | { failure: string; code: 'unauthenticated' | 'keys_unavailable' };

export interface Authenticators {
  bearer: BearerVerifier | null;
  relays: RelayAuthenticator | null;
}

/** Who sent `request`, or why nobody can be trusted to have. Never reads identity from the body. */
export async function authenticate(
  authenticators: Authenticators,
  request: Request,
  body: Uint8Array,
  now: number,
): Promise<Authentication> {
  const refused = (failure: string): Authentication => ({ failure, code: 'unauthenticated' });
  try {
    const authorization = request.headers.get('authorization');
    if (authorization !== null) {
      const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization);
      if (match === null) return refused('the Authorization header must be "Bearer <token>"');
      if (authenticators.bearer === null) return refused('bearer tokens are not accepted here');
      return { caller: { identity: await authenticators.bearer.verify(match[1] as string), via: 'api' } };
    }
    if (request.headers.has('webhook-signature')) {
      if (authenticators.relays === null) return refused('signed relay requests are not accepted here');
      const relay = await authenticators.relays.verify(request.headers, body, now);
      return { caller: { identity: relay.identity, via: `relay:${relay.relay}` } };
    }
    return refused('credentials required: a bearer token or a signed relay request');
  } catch (error) {
    if (error instanceof AuthenticationFailure) return { failure: error.reason, code: error.code };
    throw error;
  }
}
