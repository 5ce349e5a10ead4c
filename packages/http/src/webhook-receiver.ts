// For receivers of the webhook transport's events: verify the signature, the window, and parse.
import { type Clock, ConfigError, readCappedBody, systemClock } from '@countersign/core';
import type { CountersignCloudEvent } from './cloud-event.js';
import { checkKeys } from './options.js';
import type { ReplayGuard } from './replay-guard.js';
import {
  createWebhookVerifier,
  WEBHOOK_TOLERANCE_SECONDS,
  WebhookVerificationFailure,
} from './webhook-signature.js';

export interface WebhookReceiverOptions {
  /** The `whsec_` secret the sender signs with (v1). */
  secret?: string | undefined;
  /** The sender's `whpk_` public key (v1a). */
  publicKey?: string | undefined;
  /** Remembers event ids; a repeat is reported as `duplicate`. Without one, dedupe by `event.id` yourself. */
  replayGuard?: ReplayGuard | undefined;
  toleranceSeconds?: number | undefined;
  /** Largest body accepted, checked before hashing. Default 262144. */
  maxBodyBytes?: number | undefined;
  clock?: Clock | undefined;
}

export interface ReceivedEvent {
  event: CountersignCloudEvent;
  /** True when this event id was already received: answer 2xx and do nothing. */
  duplicate: boolean;
}

export interface WebhookReceiver {
  /** Verifies and parses a delivery; throws `WebhookVerificationFailure` (answer 400/401) otherwise. */
  verify(request: Request): Promise<ReceivedEvent>;
}

const KEYS = ['secret', 'publicKey', 'replayGuard', 'toleranceSeconds', 'maxBodyBytes', 'clock'] as const;

export function createWebhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  checkKeys(options, KEYS, 'createWebhookReceiver options');
  const verifier =
    options.secret !== undefined && options.publicKey === undefined
      ? createWebhookVerifier({ secret: options.secret })
      : options.publicKey !== undefined && options.secret === undefined
        ? createWebhookVerifier({ publicKey: options.publicKey })
        : null;
  if (verifier === null) throw new ConfigError('[webhook] give exactly one of secret or publicKey');
  const clock = options.clock ?? systemClock;
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  const maxBodyBytes = options.maxBodyBytes ?? 262_144;
  return {
    async verify(request) {
      const body = await readCappedBody(request, maxBodyBytes);
      if (body === null) throw new WebhookVerificationFailure(`body larger than ${maxBodyBytes} bytes`);
      const now = clock.now();
      const { id } = verifier({ body, headers: request.headers, now, toleranceSeconds: tolerance });
      let event: CountersignCloudEvent;
      try {
        event = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as CountersignCloudEvent;
      } catch {
        throw new WebhookVerificationFailure('the body is not JSON');
      }
      if (typeof event !== 'object' || event === null || event.specversion !== '1.0' || event.id !== id) {
        throw new WebhookVerificationFailure('the body is not a countersign CloudEvent for this webhook-id');
      }
      const duplicate =
        options.replayGuard === undefined
          ? false
          : !(await options.replayGuard.claim(id, now + 2 * tolerance * 1000 + 86_400_000));
      return { event, duplicate };
    },
  };
}
