// The Slack Web API client as the transport uses it (no retries of its own, typed failures, rate-limit waits), and its log prefix.
import type { Clock } from '@countersign/core';
import { ErrorCode, type KnownBlock, type Logger, LogLevel, WebClient } from '@slack/web-api';

/** What every message, log line and error of this package starts with. */
export const PREFIX = '[countersign] [slack]';

/** What the transport logs: problems only, never a token or a request's params. */
export interface SlackTransportLogger {
  warn(message: string): void;
  error(message: string): void;
}

/** A Slack Web API call that failed, with Slack's error code (`invalid_auth`, `ratelimited`, ...). */
export class SlackCallError extends Error {
  constructor(
    readonly method: string,
    /** Slack's `error` field, or `ratelimited`, `timeout`, `http_<status>`, `request_failed`. */
    readonly slackError: string,
    options: { cause?: unknown; detail?: string } = {},
  ) {
    super(
      `${PREFIX} ${method} failed: ${slackError}${options.detail ? ` (${options.detail})` : ''}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'SlackCallError';
  }
}

/**
 * The official client, told never to retry or wait on its own: the transport decides how long a
 * rate-limited call may wait, from the request's remaining lifetime.
 */
export function createWebClient(options: {
  token: string;
  slackApiUrl: string | undefined;
  timeoutMs: number;
  logger: SlackTransportLogger;
}): WebClient {
  return new WebClient(options.token, {
    ...(options.slackApiUrl === undefined ? {} : { slackApiUrl: options.slackApiUrl }),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs,
    allowAbsoluteUrls: false,
    logger: clientLogger(options.logger),
  });
}

function clientLogger(logger: SlackTransportLogger): Logger {
  let level = LogLevel.WARN;
  return {
    debug: () => {},
    info: () => {},
    warn: (...messages: unknown[]) => logger.warn(`${PREFIX} ${messages.join(' ')}`),
    error: (...messages: unknown[]) => logger.error(`${PREFIX} ${messages.join(' ')}`),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** The message of anything thrown, for a log line. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns whatever the client threw into a {@link SlackCallError} naming Slack's error code. */
export function toCallError(method: string, error: unknown): SlackCallError {
  if (error instanceof SlackCallError) return error;
  const coded = error as {
    code?: unknown;
    data?: { error?: unknown };
    statusCode?: unknown;
    message?: unknown;
  };
  switch (coded?.code) {
    case ErrorCode.PlatformError:
      return new SlackCallError(method, String(coded.data?.error ?? 'unknown_error'), { cause: error });
    case ErrorCode.RateLimitedError:
      return new SlackCallError(method, 'ratelimited', { cause: error });
    case ErrorCode.HTTPError:
      return new SlackCallError(method, `http_${String(coded.statusCode)}`, { cause: error });
    case ErrorCode.RequestError: {
      const message = String(coded.message ?? '');
      const timedOut = /timeout/i.test(message);
      return new SlackCallError(method, timedOut ? 'timeout' : 'request_failed', {
        cause: error,
        detail: message.replace(/^A request error occurred: /, ''),
      });
    }
    default:
      return new SlackCallError(method, 'request_failed', {
        cause: error,
        detail: error instanceof Error ? error.message : String(error),
      });
  }
}

/** Slack's `Retry-After`, in milliseconds, when the error is a rate limit; otherwise null. */
function retryAfterMs(error: unknown): number | null {
  const coded = error as { code?: unknown; retryAfter?: unknown };
  if (coded?.code !== ErrorCode.RateLimitedError) return null;
  const seconds = typeof coded.retryAfter === 'number' ? coded.retryAfter : 1;
  // A Retry-After of 0 must not become a busy loop.
  return Math.max(1, seconds) * 1000;
}

const MAX_ATTEMPTS = 50;

/**
 * Calls Slack, waiting out rate limits (HTTP 429 and its `Retry-After`) only while the wait ends
 * before `deadline` and `signal` is not aborted. Anything else fails at once: a failed post might
 * have been delivered, and retrying it could post twice.
 */
export async function callSlack<T>(
  method: string,
  call: () => Promise<T>,
  limits: { clock: Clock; deadline: number; signal?: AbortSignal | undefined },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const wait = retryAfterMs(error);
      const giveUp =
        wait === null ||
        attempt >= MAX_ATTEMPTS ||
        limits.signal?.aborted === true ||
        limits.clock.now() + wait >= limits.deadline;
      if (giveUp) throw toCallError(method, error);
      const slept = await sleep(limits.clock, wait, limits.signal);
      if (!slept) throw toCallError(method, error);
    }
  }
}

/**
 * Replaces a posted message's text and blocks (`chat.update`), as posted: no link or mention
 * parsing. Rate limits are waited out for at most `budgetMs`.
 */
export function updateMessage(
  client: WebClient,
  at: { channel: string; ts: string },
  message: { text: string; blocks: KnownBlock[] },
  clock: Clock,
  budgetMs: number,
): Promise<unknown> {
  const { channel, ts } = at;
  const { text, blocks } = message;
  return callSlack(
    'chat.update',
    () => client.chat.update({ channel, ts, text, blocks, link_names: false, parse: 'none' }),
    { clock, deadline: clock.now() + budgetMs },
  );
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
