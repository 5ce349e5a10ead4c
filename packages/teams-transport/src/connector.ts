// Bot Connector REST calls: post and update an activity, retrying what Teams asks within a deadline.
import type { Clock } from '@countersign/core';
import type { AccessTokenCache } from './access-token.js';
import { statusError, TeamsCallError } from './call-error.js';
import { nextRetry } from './retry.js';
import { isAllowedServiceUrl } from './service-url.js';

export interface ConnectorOptions {
  tokens: AccessTokenCache;
  allowedOrigins: ReadonlySet<string>;
  /** Waits between retries run on this clock. */
  clock: Clock;
  timeoutMs: number;
  /** The backoff's jitter source, a number in [0, 1). Default `Math.random`. */
  random?: (() => number) | undefined;
}

export interface CallLimits {
  /** Epoch ms: a retry whose wait would end after this gives up instead. */
  deadline: number;
  signal?: AbortSignal | undefined;
}

/** Tries of one call at most, whatever Retry-After says; backoff retries stop sooner (`BACKOFF.retries`). */
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
   * fetched. What Teams asks to retry is retried (see `nextRetry`: a 429's Retry-After, otherwise
   * jittered exponential backoff for 429, 412, 502 and 504) while the wait ends before the deadline.
   * Anything else fails at once. A post answered 502 or 504 may have been delivered all the same: its
   * retry can leave a second card, whose clicks are refused, since the receipt names the last one.
   */
  async #call(
    operation: string,
    method: 'POST' | 'PUT',
    serviceUrl: string,
    url: string,
    payload: Record<string, unknown>,
    limits: CallLimits,
  ): Promise<unknown> {
    const { clock, allowedOrigins, tokens, timeoutMs, random = Math.random } = this.options;
    if (!isAllowedServiceUrl(serviceUrl, allowedOrigins)) {
      throw new TeamsCallError(operation, 'service_url_not_allowed', null, {
        detail: 'the serviceUrl is not on allowedServiceOrigins, so the bot token was not sent',
      });
    }
    let backoffs = 0;
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
      const retry = nextRetry({
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        backoffs,
        now: clock.now(),
        random,
      });
      if (retry === null) throw failure;
      if (retry.backoff) backoffs++;
      const giveUp =
        attempt >= MAX_ATTEMPTS ||
        limits.signal?.aborted === true ||
        clock.now() + retry.waitMs >= limits.deadline;
      if (giveUp || !(await sleep(clock, retry.waitMs, limits.signal))) throw failure;
    }
  }
}

/** The connector's `ErrorResponse.error.code`, a short fixed word, when it sent one. */
function connectorCode(body: unknown): string | null {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,60}$/.test(code) ? code : null;
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
