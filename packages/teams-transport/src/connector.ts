// Bot Connector REST calls: post and update an activity, waiting out 429s within a deadline.
import type { Clock } from '@countersign/core';
import type { AccessTokenCache } from './access-token.js';
import { statusError, TeamsCallError } from './call-error.js';
import { isAllowedServiceUrl } from './service-url.js';

export interface ConnectorOptions {
  tokens: AccessTokenCache;
  allowedOrigins: ReadonlySet<string>;
  clock: Clock;
  timeoutMs: number;
}

export interface CallLimits {
  /** Epoch ms: a rate-limit wait that would end after this gives up instead. */
  deadline: number;
  signal?: AbortSignal | undefined;
}

const MAX_ATTEMPTS = 50;

/** `{serviceUrl}/v3/conversations/{id}/activities[/{activityId}]`, ids percent-encoded. */
export function activitiesUrl(serviceUrl: string, conversationId: string, activityId?: string): string {
  const base = serviceUrl.endsWith('/') ? serviceUrl : `${serviceUrl}/`;
  const path = `v3/conversations/${encodeURIComponent(conversationId)}/activities`;
  return `${base}${path}${activityId === undefined ? '' : `/${encodeURIComponent(activityId)}`}`;
}

export class ConnectorClient {
  constructor(private readonly options: ConnectorOptions) {}

  /** `POST …/activities`; resolves with the new activity's id. */
  async postActivity(
    serviceUrl: string,
    conversationId: string,
    activity: Record<string, unknown>,
    limits: CallLimits,
  ): Promise<string> {
    const body = await this.#call(
      'post activity',
      'POST',
      serviceUrl,
      activitiesUrl(serviceUrl, conversationId),
      activity,
      limits,
    );
    const id = (body as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id.length === 0) {
      throw new TeamsCallError('post activity', 'malformed_response', 200, { detail: 'no activity id' });
    }
    return id;
  }

  /** `PUT …/activities/{activityId}`: replaces the activity (the card) in place. */
  async updateActivity(
    serviceUrl: string,
    conversationId: string,
    activityId: string,
    activity: Record<string, unknown>,
    limits: CallLimits,
  ): Promise<void> {
    await this.#call(
      'update activity',
      'PUT',
      serviceUrl,
      activitiesUrl(serviceUrl, conversationId, activityId),
      { ...activity, id: activityId },
      limits,
    );
  }

  /**
   * One connector call. The serviceUrl is checked against the allow-list before a token is even
   * fetched. 429s are waited out (Retry-After) while the wait ends before the deadline; anything
   * else fails at once: a post that failed might have been delivered, and retrying it could post twice.
   */
  async #call(
    operation: string,
    method: 'POST' | 'PUT',
    serviceUrl: string,
    url: string,
    payload: Record<string, unknown>,
    limits: CallLimits,
  ): Promise<unknown> {
    const { clock, allowedOrigins, tokens, timeoutMs } = this.options;
    if (!isAllowedServiceUrl(serviceUrl, allowedOrigins)) {
      throw new TeamsCallError(operation, 'service_url_not_allowed', null, {
        detail: 'the serviceUrl is not on allowedServiceOrigins, so the bot token was not sent',
      });
    }
    for (let attempt = 1; ; attempt++) {
      const token = await tokens.get(limits.signal);
      const timeout = AbortSignal.timeout(timeoutMs);
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(payload),
          signal: limits.signal === undefined ? timeout : AbortSignal.any([limits.signal, timeout]),
          // A redirect could carry the Authorization header somewhere the allow-list never saw.
          redirect: 'error',
        });
      } catch (error) {
        throw new TeamsCallError(operation, timeout.aborted ? 'timeout' : 'request_failed', null, {
          cause: error,
        });
      }
      const body: unknown = await response.json().catch(() => null);
      if (response.ok) return body;
      if (response.status === 401) tokens.invalidate();
      const failure = statusError(operation, response.status, connectorCode(body));
      if (response.status !== 429) throw failure;
      const wait = retryAfterMs(response.headers.get('retry-after'), clock.now());
      const giveUp =
        attempt >= MAX_ATTEMPTS || limits.signal?.aborted === true || clock.now() + wait >= limits.deadline;
      if (giveUp || !(await sleep(clock, wait, limits.signal))) throw failure;
    }
  }
}

/** The connector's `ErrorResponse.error.code`, a short fixed word, when it sent one. */
function connectorCode(body: unknown): string | null {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,60}$/.test(code) ? code : null;
}

/** Retry-After as seconds or an HTTP date, at least one second so 0 cannot become a busy loop. */
export function retryAfterMs(header: string | null, now: number): number {
  if (header !== null) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(1, seconds) * 1000;
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(1_000, date - now);
  }
  return 1_000;
}

/** Resolves true after `ms` on `clock`, or false as soon as `signal` aborts. */
function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
