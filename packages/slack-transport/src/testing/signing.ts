// Signing a request body exactly as Slack does, for tests that send their own.
import { createHmac } from 'node:crypto';

/** Input of {@link signSlackRequest}. */
export interface SignSlackRequestOptions {
  /** The app's signing secret (Slack app settings, "Basic Information"). */
  readonly signingSecret: string;
  /** The raw request body exactly as it goes on the wire. */
  readonly body: string;
  /** Unix time in seconds. Defaults to the current time. */
  readonly timestamp?: number | undefined;
}

/** A signature computed the way Slack computes it, plus the headers that carry it. */
export interface SignedSlackRequest {
  /** Unix time in seconds that was signed. */
  readonly timestamp: number;
  /** `v0=` followed by the lowercase hex HMAC-SHA256 of `v0:{timestamp}:{body}`. */
  readonly signature: string;
  /** The two headers Slack sends, lowercase names. */
  readonly headers: {
    readonly 'x-slack-request-timestamp': string;
    readonly 'x-slack-signature': string;
  };
}

/**
 * Signs a request body exactly as Slack does for requests it sends to an app: the base string
 * `v0:{timestamp}:{body}` is hashed with HMAC-SHA256 keyed by the signing secret, and the hex digest is
 * prefixed with the version `v0=`. See https://api.slack.com/authentication/verifying-requests-from-slack.
 *
 * This is the signing half only; verifying belongs to the transport.
 */
export function signSlackRequest(options: SignSlackRequestOptions): SignedSlackRequest {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const digest = createHmac('sha256', options.signingSecret)
    .update(`v0:${timestamp}:${options.body}`)
    .digest('hex');
  const signature = `v0=${digest}`;
  return {
    timestamp,
    signature,
    headers: { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
  };
}
