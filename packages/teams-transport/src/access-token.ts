// The bot's client-credentials token for the Bot Connector, cached until shortly before expiry.
import type { Clock } from '@countersign/core';
import { TeamsCallError } from './call-error.js';

/** The scope Microsoft documents for bot-to-connector calls. */
export const CONNECTOR_SCOPE = 'https://api.botframework.com/.default';
/** A token is replaced this long before it expires, so a call never carries one about to lapse. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export interface AccessTokenOptions {
  tokenUrl: string;
  appId: string;
  appPassword: string;
  clock: Clock;
  timeoutMs: number;
}

interface Cached {
  token: string;
  refreshAt: number;
}

/**
 * Fetches and caches the token. Concurrent callers share one request; a failed request is not
 * cached, and `invalidate()` (after a 401) forces the next call to fetch a new one.
 */
export class AccessTokenCache {
  #cached: Cached | null = null;
  #pending: Promise<Cached> | null = null;

  constructor(private readonly options: AccessTokenOptions) {}

  async get(signal?: AbortSignal | undefined): Promise<string> {
    const cached = this.#cached;
    if (cached !== null && this.options.clock.now() < cached.refreshAt) return cached.token;
    this.#pending ??= this.#fetch(signal).finally(() => {
      this.#pending = null;
    });
    const fresh = await this.#pending;
    this.#cached = fresh;
    return fresh.token;
  }

  invalidate(): void {
    this.#cached = null;
  }

  async #fetch(signal: AbortSignal | undefined): Promise<Cached> {
    const { tokenUrl, appId, appPassword, clock, timeoutMs } = this.options;
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: appId,
          client_secret: appPassword,
          scope: CONNECTOR_SCOPE,
        }),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
        redirect: 'error',
      });
    } catch (error) {
      const code = timeout.aborted ? 'timeout' : 'request_failed';
      throw new TeamsCallError('token request', code, null, { cause: error });
    }
    const body = (await response.json().catch(() => null)) as {
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
    } | null;
    if (!response.ok) {
      // Microsoft Entra's `error` is a fixed code (invalid_client, unauthorized_client, …): safe to log.
      const code = typeof body?.error === 'string' ? body.error.slice(0, 60) : `http_${response.status}`;
      throw new TeamsCallError('token request', code, response.status);
    }
    const expiresIn = Number(body?.expires_in);
    if (typeof body?.access_token !== 'string' || body.access_token.length === 0 || !(expiresIn > 0)) {
      throw new TeamsCallError('token request', 'malformed_token_response', response.status);
    }
    const lifetime = expiresIn * 1000;
    const margin = lifetime > 2 * REFRESH_MARGIN_MS ? REFRESH_MARGIN_MS : lifetime / 2;
    return { token: body.access_token, refreshAt: clock.now() + lifetime - margin };
  }
}
