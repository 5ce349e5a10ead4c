// Standard Webhooks signatures: `v1` (HMAC-SHA256, whsec_) and `v1a` (Ed25519, whsk_/whpk_), both ways.
import {
  createPrivateKey,
  createPublicKey,
  sign as edSign,
  verify as edVerify,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto';
import { ConfigError, CountersignError, ErrorCode } from '@countersign/core';
import { Webhook } from 'standardwebhooks';
import { PREFIX } from './options.js';

/** Seconds a signature's timestamp may be off the receiver's clock. Standard Webhooks suggests 5 minutes. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The key a sender signs with: a `whsec_` secret (v1) or a `whsk_` Ed25519 private key (v1a). */
export type WebhookSigningKey = { secret: string } | { privateKey: string };
/** The key a receiver verifies with: a `whsec_` secret (v1) or a `whpk_` Ed25519 public key (v1a). */
export type WebhookVerifyingKey = { secret: string } | { publicKey: string };

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Why a signed message was refused (code `invalid_input`). The texts never contain keys or signatures. */
export class WebhookVerificationFailure extends CountersignError {
  constructor(readonly reason: string) {
    super(ErrorCode.InvalidInput, `[webhook] signature check failed: ${reason}`);
  }
}

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,128}$/;

function decodeKey(value: string, prefix: string, what: string): Buffer {
  if (typeof value !== 'string' || !value.startsWith(prefix)) {
    throw new ConfigError(`${PREFIX} ${what} must start with "${prefix}"`);
  }
  return Buffer.from(value.slice(prefix.length), 'base64');
}

function ed25519Private(value: string): KeyObject {
  const raw = decodeKey(value, 'whsk_', 'privateKey');
  // libsodium-style keys carry the public half after the 32-byte seed.
  if (raw.length !== 32 && raw.length !== 64) {
    throw new ConfigError(`${PREFIX} privateKey must hold a 32-byte Ed25519 seed (or seed and public key)`);
  }
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519, raw.subarray(0, 32)]),
    format: 'der',
    type: 'pkcs8',
  });
}

function ed25519Public(value: string): KeyObject {
  const raw = decodeKey(value, 'whpk_', 'publicKey');
  if (raw.length !== 32) throw new ConfigError(`${PREFIX} publicKey must hold a 32-byte Ed25519 key`);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}

function hmacWebhook(secret: string): Webhook {
  const raw = decodeKey(secret, 'whsec_', 'secret');
  if (raw.length < 24) throw new ConfigError(`${PREFIX} secret must hold at least 24 random bytes`);
  return new Webhook(secret);
}

/** The `whpk_` public key for a `whsk_` private key, to hand to receivers. */
export function webhookPublicKey(privateKey: string): string {
  const der = createPublicKey(ed25519Private(privateKey)).export({ format: 'der', type: 'spki' });
  return `whpk_${der.subarray(SPKI_ED25519.length).toString('base64')}`;
}

/** A signer bound to one key; keys are parsed once. */
export function createWebhookSigner(
  key: WebhookSigningKey,
): (id: string, timestampSeconds: number, body: string) => SignedHeaders {
  const sign =
    'secret' in key
      ? (
          (webhook) => (id: string, at: number, body: string) =>
            webhook.sign(id, new Date(at * 1000), body)
        )(hmacWebhook(key.secret))
      : (
          (privateKey) => (id: string, at: number, body: string) =>
            `v1a,${edSign(null, Buffer.from(`${id}.${at}.${body}`), privateKey).toString('base64')}`
        )(ed25519Private(key.privateKey));
  return (id, timestampSeconds, body) => {
    if (!MESSAGE_ID.test(id))
      throw new ConfigError(`${PREFIX} webhook message ids are 1-128 of [A-Za-z0-9_-]`);
    return {
      'webhook-id': id,
      'webhook-timestamp': String(timestampSeconds),
      'webhook-signature': sign(id, timestampSeconds, body),
    };
  };
}

export interface VerifyWebhookInput {
  /** The exact bytes received: never a re-serialised parse. */
  body: string | Uint8Array;
  headers: Headers | SignedHeaders | Record<string, string | undefined>;
  /** Receiver's time, milliseconds since the epoch. Default `Date.now()`. */
  now?: number | undefined;
  toleranceSeconds?: number | undefined;
}

export type WebhookVerifier = (input: VerifyWebhookInput) => { id: string; timestamp: number };

/**
 * A verifier for one trusted key. Checks the headers' shape, the timestamp window and one
 * matching signature of the key's scheme; throws `WebhookVerificationFailure`. Replays inside
 * the window are the caller's to refuse, by message id (see `createReplayGuard`).
 */
export function createWebhookVerifier(key: WebhookVerifyingKey): WebhookVerifier {
  const check =
    'secret' in key
      ? ((webhook) => (id: string, at: number, body: Buffer, candidate: string) => {
          const expected = Buffer.from(webhook.sign(id, new Date(at * 1000), body).slice(3), 'base64');
          const given = Buffer.from(candidate, 'base64');
          return given.length === expected.length && timingSafeEqual(given, expected);
        })(hmacWebhook(key.secret))
      : (
          (publicKey) => (id: string, at: number, body: Buffer, candidate: string) =>
            edVerify(
              null,
              Buffer.concat([Buffer.from(`${id}.${at}.`), body]),
              publicKey,
              Buffer.from(candidate, 'base64'),
            )
        )(ed25519Public(key.publicKey));
  const scheme = 'secret' in key ? 'v1' : 'v1a';
  return (input) => {
    const header = (name: string): string | undefined =>
      input.headers instanceof Headers
        ? (input.headers.get(name) ?? undefined)
        : (input.headers as Record<string, string | undefined>)[name];
    const id = header('webhook-id');
    const stamp = header('webhook-timestamp');
    const signatures = header('webhook-signature');
    if (id === undefined || stamp === undefined || signatures === undefined) {
      throw new WebhookVerificationFailure('missing webhook-id, webhook-timestamp or webhook-signature');
    }
    if (!MESSAGE_ID.test(id)) throw new WebhookVerificationFailure('malformed webhook-id');
    if (!/^\d{1,12}$/.test(stamp)) throw new WebhookVerificationFailure('malformed webhook-timestamp');
    const timestamp = Number(stamp);
    const now = Math.floor((input.now ?? Date.now()) / 1000);
    const tolerance = input.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
    if (Math.abs(now - timestamp) > tolerance) {
      throw new WebhookVerificationFailure('webhook-timestamp outside the accepted window');
    }
    const body = typeof input.body === 'string' ? Buffer.from(input.body) : Buffer.from(input.body);
    for (const entry of signatures.split(' ')) {
      const comma = entry.indexOf(',');
      if (comma < 0 || entry.slice(0, comma) !== scheme) continue;
      if (check(id, timestamp, body, entry.slice(comma + 1))) return { id, timestamp };
    }
    throw new WebhookVerificationFailure('no valid signature');
  };
}
