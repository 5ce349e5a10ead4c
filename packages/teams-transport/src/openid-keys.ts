// The connector's signing keys: OpenID metadata → JWKS, cached, refreshed on an unknown kid.
import type { Clock } from '@countersign/core';
import type { JWK } from 'jose';

/** Microsoft's OpenID metadata for tokens the Bot Connector sends to bots. */
export const BOT_FRAMEWORK_OPENID_METADATA_URL =
  'https://login.botframework.com/v1/.well-known/openidconfiguration';

/** A published key and the channels it is endorsed for. */
export interface SigningKey {
  kid: string;
  jwk: JWK;
  /**
   * The channel ids the key may sign for, or null when it publishes none (no `endorsements`, or an
   * empty list): Microsoft's validator then checks no channel (botbuilder-js `JwtTokenExtractor`
   * enforces endorsements only `if (Array.isArray(endorsements) && endorsements.length !== 0)`).
   */
  endorsements: readonly string[] | null;
}

export interface OpenIdKeysOptions {
  metadataUrl: string;
  clock: Clock;
  timeoutMs: number;
}

/** Keys are refetched this often even when every kid is known: Microsoft rotates them. */
const MAX_AGE_MS = 24 * 60 * 60_000;
/** An unknown kid triggers at most one refetch per minute, so forged kids cannot flood Microsoft. */
const MIN_REFRESH_INTERVAL_MS = 60_000;

export class KeysUnavailableError extends Error {
  constructor(detail: string, cause?: unknown) {
    super(
      `[countersign] [teams] cannot load the connector's signing keys: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'KeysUnavailableError';
  }
}

export class OpenIdKeys {
  #keys = new Map<string, SigningKey>();
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | null = null;

  constructor(private readonly options: OpenIdKeysOptions) {}

  /** The key with this kid, or null once a refetch (when allowed) did not find it. */
  async key(kid: string): Promise<SigningKey | null> {
    const now = this.options.clock.now();
    const stale = now - this.#fetchedAt >= MAX_AGE_MS;
    const known = this.#keys.get(kid);
    if (known !== undefined && !stale) return known;
    if (stale || now - this.#fetchedAt >= MIN_REFRESH_INTERVAL_MS) await this.#refresh();
    return this.#keys.get(kid) ?? null;
  }

  #refresh(): Promise<void> {
    this.#pending ??= this.#load().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #load(): Promise<void> {
    const metadata = (await this.#getJson(this.options.metadataUrl)) as { jwks_uri?: unknown } | null;
    if (typeof metadata?.jwks_uri !== 'string') throw new KeysUnavailableError('metadata has no jwks_uri');
    const jwksUrl = new URL(metadata.jwks_uri, this.options.metadataUrl);
    // Keys are trusted only from the metadata's own origin, never from wherever the document points.
    if (jwksUrl.origin !== new URL(this.options.metadataUrl).origin) {
      throw new KeysUnavailableError('jwks_uri is on another origin than the metadata');
    }
    const jwks = (await this.#getJson(jwksUrl.href)) as { keys?: unknown } | null;
    if (!Array.isArray(jwks?.keys)) throw new KeysUnavailableError('the JWKS has no keys');
    const keys = new Map<string, SigningKey>();
    for (const raw of jwks.keys as unknown[]) {
      const jwk = raw as JWK & { endorsements?: unknown };
      if (
        typeof jwk?.kid !== 'string' ||
        jwk.kty !== 'RSA' ||
        typeof jwk.n !== 'string' ||
        typeof jwk.e !== 'string'
      )
        continue;
      const endorsements = readEndorsements(jwk.endorsements);
      if (endorsements === undefined) continue;
      keys.set(jwk.kid, { kid: jwk.kid, jwk: { kty: 'RSA', n: jwk.n, e: jwk.e }, endorsements });
    }
    this.#keys = keys;
    this.#fetchedAt = this.options.clock.now();
  }

  async #getJson(url: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs), redirect: 'error' });
    } catch (error) {
      throw new KeysUnavailableError(`GET ${url} failed`, error);
    }
    if (!response.ok) throw new KeysUnavailableError(`GET ${url} answered HTTP ${response.status}`);
    return response.json().catch(() => null);
  }
}

/**
 * A key's endorsements: a list of channel ids, null when it names none, undefined when malformed
 * (not an array, or a member that is not a string), so that a key is never loaded as unrestricted
 * because its list could not be read.
 */
function readEndorsements(value: unknown): readonly string[] | null | undefined {
  if (value === undefined) return null;
  if (!Array.isArray(value) || !value.every((e) => typeof e === 'string')) return undefined;
  return value.length === 0 ? null : value;
}
