// Shared fixtures: a countersign instance with a recording transport, an OIDC issuer's keys, relays.
import { randomBytes } from 'node:crypto';
import {
  type ApprovalRequest,
  type Countersign,
  createCountersign,
  type PolicyRule,
  type Store,
  type Transport,
} from '@countersign/core';
import { createRecordingTransport, type RecordingTransport } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from 'jose';

export const ISSUER = 'https://id.example.test';
export const AUDIENCE = 'countersign-api';

export interface TestIssuer {
  jwks: JSONWebKeySet;
  token(
    claims?: JWTPayload,
    options?: {
      expiresIn?: string | number;
      kid?: string;
      issuer?: string;
      audience?: string;
      notBefore?: string | number;
      /** The `typ` header; none by default. */
      typ?: string;
      /** `iat` in seconds since the epoch; null leaves it out. Default now. */
      issuedAt?: number | null;
    },
  ): Promise<string>;
}

export async function testIssuer(kid = 'key-1'): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    async token(claims = {}, options = {}) {
      const typ = options.typ === undefined ? {} : { typ: options.typ };
      const jwt = new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? kid, ...typ })
        .setIssuer(options.issuer ?? ISSUER)
        .setAudience(options.audience ?? AUDIENCE)
        .setExpirationTime(options.expiresIn ?? '5m');
      if (options.issuedAt !== null) jwt.setIssuedAt(options.issuedAt);
      if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
      return jwt.sign(privateKey);
    },
  };
}

export function hmacSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export interface Fixture {
  cs: Countersign;
  store: Store;
  transport: RecordingTransport;
  /** Starts a guarded export that needs approval; resolves once it is pending. */
  pending(
    params?: Record<string, unknown>,
    reason?: string,
    sessionId?: string,
  ): Promise<{ request: ApprovalRequest; outcome: Promise<unknown> }>;
  close(): Promise<void>;
}

export function fixture(
  options: {
    quorum?: number;
    store?: Store;
    transports?: Transport[];
    recording?: boolean;
    /** Replaces the policy (the default needs one data owner's approval for db.export). */
    policy?: PolicyRule[];
  } = {},
): Fixture {
  const store = options.store ?? createMemoryStore();
  const transport = createRecordingTransport();
  const cs = createCountersign({
    store,
    maxPendingPerActor: 1_000,
    transports: [...(options.recording === false ? [] : [transport]), ...(options.transports ?? [])],
    directory: {
      'user:alice': { groups: ['data-owners'] },
      'user:bob': { groups: ['data-owners'] },
      'user:carol': { groups: ['data-owners'] },
      'bot:oncall': { groups: ['data-owners'] },
      'user:mallory': { groups: ['interns'] },
    },
    policy: options.policy ?? [
      {
        id: 'exports-need-approval',
        match: { action: 'db.export' },
        effect: 'require_approval',
        approvers: { groups: ['data-owners'] },
        quorum: options.quorum ?? 1,
        requestTtl: '15m',
        grantTtl: '60s',
      },
    ],
  });
  let n = 0;
  return {
    cs,
    store,
    transport,
    async pending(params = { table: 'customers' }, reason = 'Alice asked for the churn report', sessionId) {
      n += 1;
      const outcome = cs
        .guard(
          { name: 'db.export', resource: 'prod/customers', params, run: () => 'exported' },
          {
            actor: 'agent:report-bot',
            onBehalfOf: 'user:alice',
            sessionId: sessionId ?? `sess_${n}`,
            reason,
          },
        )
        .then(
          (value) => ({ ok: value }),
          (error: unknown) => ({ error }),
        );
      const delivered = await Promise.race([
        transport.nextDelivery(),
        outcome.then((settled) => {
          throw new Error(`the guard settled before delivery: ${JSON.stringify(settled)}`);
        }),
      ]);
      // Delivery is recorded just after the transport returns: wait for it, so tests see a settled log.
      for (let i = 0; i < 1_000; i++) {
        const request = await cs.getRequest(delivered.id);
        if (request !== null && request.deliveries.length > 0) return { request, outcome };
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      throw new Error('the request was never recorded as delivered');
    },
    close: () => cs.close(),
  };
}
