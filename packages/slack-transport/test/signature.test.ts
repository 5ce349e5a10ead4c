import { describe, expect, test } from 'vitest';
import { verifySlackSignature } from '../src/index.js';
import { signSlackRequest } from '../src/testing/index.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
const TS = 1_767_225_600;

function check(
  overrides: { now?: number; timestamp?: string | null; signature?: string | null; body?: string } = {},
) {
  const signed = signSlackRequest({ signingSecret: SECRET, body: BODY, timestamp: TS });
  return verifySlackSignature({
    signingSecret: SECRET,
    rawBody: overrides.body ?? BODY,
    timestamp: overrides.timestamp === undefined ? String(TS) : overrides.timestamp,
    signature: overrides.signature === undefined ? signed.signature : overrides.signature,
    now: overrides.now ?? TS * 1000,
  });
}

describe('verifySlackSignature', () => {
  test('accepts what Slack signs, as text or bytes', () => {
    expect(check()).toEqual({ ok: true });
    const signed = signSlackRequest({ signingSecret: SECRET, body: BODY, timestamp: TS });
    expect(
      verifySlackSignature({
        signingSecret: SECRET,
        rawBody: new TextEncoder().encode(BODY),
        timestamp: String(TS),
        signature: signed.signature,
        now: TS * 1000,
      }),
    ).toEqual({ ok: true });
  });

  test('the window is five minutes either way, to the millisecond', () => {
    expect(check({ now: TS * 1000 + 300_000 })).toEqual({ ok: true });
    expect(check({ now: TS * 1000 - 300_000 })).toEqual({ ok: true });
    expect(check({ now: TS * 1000 + 300_001 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(check({ now: TS * 1000 - 300_001 })).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  test('forged, tampered and malformed signatures are refused', () => {
    const other = signSlackRequest({ signingSecret: 'another-secret', body: BODY, timestamp: TS });
    expect(check({ signature: other.signature })).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(check({ body: `${BODY}&x=1` })).toEqual({ ok: false, reason: 'signature_mismatch' });
    const good = signSlackRequest({ signingSecret: SECRET, body: BODY, timestamp: TS }).signature;
    expect(check({ signature: good.replace('v0=', 'v1=') })).toEqual({
      ok: false,
      reason: 'unsupported_version',
    });
    expect(check({ signature: good.toUpperCase().replace('V0=', 'v0=') })).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
    expect(check({ signature: `${good}00` })).toEqual({ ok: false, reason: 'malformed_signature' });
    expect(check({ signature: null })).toEqual({ ok: false, reason: 'missing_signature' });
  });

  test('a re-signed timestamp does not validate an old signature', () => {
    const good = signSlackRequest({ signingSecret: SECRET, body: BODY, timestamp: TS }).signature;
    expect(check({ timestamp: String(TS + 1), signature: good, now: TS * 1000 })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  test('missing or non-numeric timestamps are refused', () => {
    expect(check({ timestamp: null })).toEqual({ ok: false, reason: 'missing_timestamp' });
    expect(check({ timestamp: '1e9' })).toEqual({ ok: false, reason: 'invalid_timestamp' });
    expect(check({ timestamp: `${TS} ` })).toEqual({ ok: false, reason: 'invalid_timestamp' });
  });
});
