// A checkpoint sink that POSTs each checkpoint as JSON to an HTTP endpoint.
import { ConfigError } from '@countersign/core';
import { type Checkpoint, checkpointLine } from './checkpoint.js';
import type { CheckpointSink } from './sink.js';

export interface HttpSinkOptions {
  /** Extra request headers, e.g. an `authorization` token; never included in errors. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Give up after this long. Default 10 000 ms. */
  timeoutMs?: number | undefined;
  /** The fetch to use. Default: the global one. */
  fetch?: typeof fetch | undefined;
}

/**
 * POSTs each checkpoint, as the JSON object of its line, to `url`; any status other than 2xx is a
 * failure. Credentials in the URL go as basic auth. Errors name the endpoint by origin and path
 * only, so credentials and query tokens stay out of them.
 */
export function httpSink(url: string | URL, options: HttpSinkOptions = {}): CheckpointSink {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new ConfigError('[audit] httpSink: url is not a valid URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new ConfigError('[audit] httpSink: url must be http: or https:');
  }
  const shown = `${target.origin}${target.pathname}`;
  // fetch refuses URLs with credentials: send them as basic auth instead.
  const basic =
    target.username === ''
      ? {}
      : {
          authorization: `Basic ${Buffer.from(
            `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`,
          ).toString('base64')}`,
        };
  target.username = '';
  target.password = '';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const send = options.fetch ?? fetch;
  return {
    name: `http ${shown}`,
    write: async (checkpoint: Checkpoint) => {
      let response: Response;
      try {
        response = await send(target, {
          method: 'POST',
          headers: { ...basic, ...options.headers, 'content-type': 'application/json' },
          body: checkpointLine(checkpoint),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const why = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'failed';
        throw new Error(`POST ${shown} ${why}`);
      }
      await response.body?.cancel();
      if (!response.ok) throw new Error(`POST ${shown} answered ${response.status}`);
    },
  };
}
