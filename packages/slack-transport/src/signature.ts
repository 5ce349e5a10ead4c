// Verifying Slack's request signature (v0 HMAC-SHA256) within its five-minute window.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's replay window: a request signed more than five minutes away from now is refused. */
export const SIGNATURE_WINDOW_SECONDS = 300;

export interface VerifySlackSignatureOptions {
  /** The app's signing secret ("Basic Information" in the app settings). */
  signingSecret: string;
  /** The body exactly as received, before any parsing. */
  rawBody: string | Uint8Array;
  /** The `X-Slack-Request-Timestamp` header: Unix seconds. */
  timestamp: string | null | undefined;
  /** The `X-Slack-Signature` header: `v0=` and a hex HMAC-SHA256. */
  signature: string | null | undefined;
  /** Current time in milliseconds, from the clock you inject. */
  now: number;
}

export type SignatureFailure =
  | 'missing_timestamp'
  | 'invalid_timestamp'
  | 'stale_timestamp'
  | 'missing_signature'
  | 'unsupported_version'
  | 'malformed_signature'
  | 'signature_mismatch';

export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure };

/**
 * Verifies a request from Slack: its timestamp lies within five minutes of `now` either way, and
 * `X-Slack-Signature` is `v0=` followed by the HMAC-SHA256, keyed by the signing secret, of
 * `v0:{timestamp}:{raw body}`, compared in constant time. Never throws on bad input.
 */
export function verifySlackSignature(options: VerifySlackSignatureOptions): SignatureCheck {
  const { timestamp, signature } = options;
  if (!timestamp) return { ok: false, reason: 'missing_timestamp' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'invalid_timestamp' };
  if (Math.abs(options.now - Number(timestamp) * 1000) > SIGNATURE_WINDOW_SECONDS * 1000) {
    return { ok: false, reason: 'stale_timestamp' };
  }
  if (!signature) return { ok: false, reason: 'missing_signature' };
  if (!signature.startsWith('v0=')) return { ok: false, reason: 'unsupported_version' };
  const given = signature.slice(3);
  if (!/^[0-9a-f]{64}$/.test(given)) return { ok: false, reason: 'malformed_signature' };
  const expected = createHmac('sha256', options.signingSecret)
    .update(`v0:${timestamp}:`)
    .update(options.rawBody)
    .digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'))
    ? { ok: true }
    : { ok: false, reason: 'signature_mismatch' };
}
