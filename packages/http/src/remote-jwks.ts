// The issuer's JWKS, fetched by jose, with a key set that cannot be fetched told apart from a bad token.
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';

/** The issuer's key set could not be fetched: unreachable, timed out, not a 200, or not a key set. */
export class KeysUnavailable extends Error {
  constructor(why: string, options?: { cause?: unknown }) {
    super(`the issuer's signing keys could not be fetched: ${why}`, options);
    this.name = 'KeysUnavailable';
  }
}

function isKeySet(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const keys = (value as { keys?: unknown }).keys;
  return Array.isArray(keys) && keys.every((key) => typeof key === 'object' && key !== null);
}

/**
 * A key getter for `jwtVerify` over `url`. Every failure to get the set throws `KeysUnavailable`;
 * what jose throws is then always about the token (no matching key, bad signature, claims).
 */
export function remoteJwks(url: URL, timeoutMs: number): JWTVerifyGetKey {
  return createRemoteJWKSet(url, {
    timeoutDuration: timeoutMs,
    [customFetch]: async (href, init) => {
      const timedOut = (cause: unknown) =>
        new KeysUnavailable(init.signal.aborted ? 'timed out' : 'the request failed', { cause });
      let response: Response;
      try {
        response = await fetch(href, init);
      } catch (error) {
        throw timedOut(error);
      }
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        throw new KeysUnavailable(`the JWKS URL answered ${response.status}`);
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw timedOut(error);
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (cause) {
        throw new KeysUnavailable('the answer is not JSON', { cause });
      }
      if (!isKeySet(value)) throw new KeysUnavailable('the answer is not a JSON Web Key Set');
      return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
}
