import { generateKeyPairSync } from 'node:crypto';
import { createCountersign, fingerprintAction, isCountersignError, type JsonObject } from '@countersign/core';
import { runCredentialBrokerConformance, sampleCredentialRequest } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { createMemoryReplayGuard, createSignedTokenBroker, verifyGrantToken } from '../src/index.js';

const keys = generateKeyPairSync('ed25519');
const OPTIONS = { keyId: 'k1', issuer: 'https://countersign.test', audience: 'orders-api' };
const broker = () => createSignedTokenBroker({ privateKey: keys.privateKey, ...OPTIONS });
const VERIFY = { audience: OPTIONS.audience, issuer: OPTIONS.issuer };

/** The refusal reason `verifyGrantToken` threw, or 'accepted'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return isCountersignError(error, 'grant_refused')
      ? (error as unknown as { reason: string }).reason
      : String(error);
  }
}

runCredentialBrokerConformance(
  { describe, test, expect },
  {
    create: () => {
      const made = broker();
      return {
        broker: made,
        works: async (credentials) =>
          (await outcome(verifyGrantToken(credentials.token!, { jwks: made.jwks, ...VERIFY }))) ===
          'accepted',
      };
    },
    privileges: ['orders:read', 'customers:read'],
    refused: ['orders read', 'orders"read', '', 'x'.repeat(300)],
    foreignHandle: 'postgres',
    skip: {
      'revoked credentials stop working and leave nothing behind':
        'a signed token is verified offline and cannot be recalled: it dies at exp, and at first use with a replay guard',
    },
  },
);

describe('verifyGrantToken', () => {
  const issue = async (overrides: Parameters<typeof sampleCredentialRequest>[1] = {}) => {
    const made = broker();
    const request = sampleCredentialRequest(['orders:read'], overrides);
    const { token } = await made.issue(request, made.handle(request));
    return { token: token!, request, jwks: made.jwks };
  };

  test('refuses a token signed by another key, tampered with, for another audience or issuer, or unsigned', async () => {
    const { token, jwks } = await issue();
    const other = createSignedTokenBroker({
      privateKey: generateKeyPairSync('ed25519').privateKey,
      ...OPTIONS,
    });
    expect(await outcome(verifyGrantToken(token, { jwks: other.jwks, ...VERIFY }))).toBe('unknown');
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'orders:write' })).toString('base64url');
    expect(await outcome(verifyGrantToken(`${header}.${forged}.${signature}`, { jwks, ...VERIFY }))).toBe(
      'unknown',
    );
    expect(await outcome(verifyGrantToken(token, { jwks, ...VERIFY, audience: 'billing-api' }))).toBe(
      'unknown',
    );
    expect(await outcome(verifyGrantToken(token, { jwks, ...VERIFY, issuer: 'https://evil.test' }))).toBe(
      'unknown',
    );
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(await outcome(verifyGrantToken(`${none}.${payload}.`, { jwks, ...VERIFY }))).toBe('unknown');
  });

  test('refuses an expired token, a token for another call or session, and a second use', async () => {
    const { token, request, jwks } = await issue();
    const later = request.expiresAt + 1_000;
    expect(await outcome(verifyGrantToken(token, { jwks, ...VERIFY, now: later }))).toBe('expired');
    expect(await outcome(verifyGrantToken(token, { jwks, ...VERIFY, fingerprint: 'f'.repeat(64) }))).toBe(
      'action_mismatch',
    );
    expect(await outcome(verifyGrantToken(token, { jwks, ...VERIFY, sessionId: 'sess_other' }))).toBe(
      'session_mismatch',
    );
    const replay = createMemoryReplayGuard();
    const check = { jwks, ...VERIFY, fingerprint: request.fingerprint, sessionId: request.sessionId, replay };
    const claims = await verifyGrantToken(token, check);
    expect(claims).toMatchObject({
      jti: request.grantId,
      sub: request.actor,
      fingerprint: request.fingerprint,
      session: request.sessionId,
      scope: 'orders:read',
      exp: Math.floor(request.expiresAt / 1000),
    });
    expect(await outcome(verifyGrantToken(token, check))).toBe('consumed');
  });

  test('the published JWKS holds only the public key', () => {
    const { jwks } = broker();
    expect(jwks.keys).toHaveLength(1);
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(jwks.keys[0]!.x).toBe(keys.publicKey.export({ format: 'jwk' }).x);
  });

  test('options: a non-Ed25519 key and an unknown option are refused', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => createSignedTokenBroker({ privateKey: rsa, ...OPTIONS })).toThrow('Ed25519');
    expect(() =>
      createSignedTokenBroker({ privateKey: keys.privateKey, ...OPTIONS, audiences: 'x' } as never),
    ).toThrow('audiences');
  });

  test('a guarded call hands run a token the resource server verifies offline, for exactly that call, once', async () => {
    const tokens = broker();
    const cs = createCountersign({
      store: createMemoryStore(),
      policy: [
        {
          id: 'orders-read',
          match: { action: 'orders.list' },
          effect: 'allow',
          credentials: { broker: 'api', privileges: ['orders:read'] },
        },
      ],
      credentialBrokers: { api: tokens },
    });
    const action = { name: 'orders.list', resource: 'orders-api', params: { customer: 42 } };
    const sessionId = 'sess_7';
    const replay = createMemoryReplayGuard();
    // The resource server: it knows the JWKS and the call it is asked to serve, nothing else.
    const serve = (token: string, params: JsonObject) =>
      verifyGrantToken(token, {
        jwks: tokens.jwks,
        ...VERIFY,
        fingerprint: fingerprintAction({ name: action.name, resource: action.resource, params }),
        sessionId,
        replay,
      });
    const results = await cs.guard(
      {
        ...action,
        run: async (grant) => [
          await outcome(serve(grant.credentials!.token!, { customer: 7 })),
          await outcome(serve(grant.credentials!.token!, action.params)),
          await outcome(serve(grant.credentials!.token!, action.params)),
        ],
      },
      { actor: 'agent:report-bot', reason: 'list orders for customer 42', sessionId },
    );
    expect(results).toEqual(['action_mismatch', 'accepted', 'consumed']);
    const audit = await cs.audit.export();
    expect(audit).toContain('credential_issued');
    await cs.close();
  });
});
