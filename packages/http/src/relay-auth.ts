// Machine relays (ticketing systems, on-call bots) authenticated by Standard Webhooks signatures.
import { ConfigError } from '@countersign/core';
import { AuthenticationFailure } from './bearer-auth.js';
import { checkKeys, PREFIX } from './options.js';
import type { ReplayGuard } from './replay-guard.js';
import {
  createWebhookVerifier,
  WEBHOOK_TOLERANCE_SECONDS,
  WebhookVerificationFailure,
  type WebhookVerifier,
} from './webhook-signature.js';

export interface RelayOptions {
  /** A name for logs and the audit trail's `via`, e.g. `'pagerduty'`. */
  name: string;
  /** The directory identity the relay decides as, e.g. `'bot:oncall'`. It must be an eligible approver. */
  identity: string;
  /** A `whsec_` secret (v1 HMAC) shared with the relay. */
  secret?: string | undefined;
  /** The relay's `whpk_` Ed25519 public key (v1a). */
  publicKey?: string | undefined;
}

export interface RelayIdentity {
  identity: string;
  relay: string;
}

const RELAY_KEYS = ['name', 'identity', 'secret', 'publicKey'] as const;

export interface RelayAuthenticator {
  /** Verifies the signature over the raw body and claims the message id; throws `AuthenticationFailure`. */
  verify(headers: Headers, body: Uint8Array, now: number): Promise<RelayIdentity>;
}

export function createRelayAuthenticator(
  relays: readonly RelayOptions[],
  replay: ReplayGuard,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): RelayAuthenticator {
  const verifiers: { relay: RelayOptions; verify: WebhookVerifier }[] = relays.map((relay, index) => {
    checkKeys(relay, RELAY_KEYS, `relays[${index}]`);
    if (typeof relay.name !== 'string' || !/^[a-z0-9_-]{1,64}$/.test(relay.name)) {
      throw new ConfigError(`${PREFIX} relays[${index}].name must be 1-64 of [a-z0-9_-]`);
    }
    if (typeof relay.identity !== 'string' || relay.identity.length === 0) {
      throw new ConfigError(`${PREFIX} relays[${index}].identity is required`);
    }
    if ((relay.secret === undefined) === (relay.publicKey === undefined)) {
      throw new ConfigError(`${PREFIX} relays[${index}] needs exactly one of secret or publicKey`);
    }
    const verify =
      relay.secret !== undefined
        ? createWebhookVerifier({ secret: relay.secret })
        : createWebhookVerifier({ publicKey: relay.publicKey as string });
    return { relay, verify };
  });
  return {
    async verify(headers, body, now) {
      let failure = 'no valid signature';
      for (const { relay, verify } of verifiers) {
        let id: string;
        try {
          ({ id } = verify({ body, headers, now, toleranceSeconds }));
        } catch (error) {
          if (error instanceof WebhookVerificationFailure) {
            failure = error.reason;
            continue;
          }
          throw error;
        }
        // Remembered past the window on either side, so no accepted timestamp can bring it back.
        const fresh = await replay.claim(`${relay.name}:${id}`, now + 2 * toleranceSeconds * 1000);
        if (!fresh)
          throw new AuthenticationFailure('signed request rejected: message id already used (replay)');
        return { identity: relay.identity, relay: relay.name };
      }
      throw new AuthenticationFailure(`signed request rejected: ${failure}`);
    },
  };
}
