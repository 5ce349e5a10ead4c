import { generateKeyPairSync, sign } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, test } from 'vitest';
import {
  createMemoryReplayGuard,
  createWebhookSigner,
  createWebhookVerifier,
  WebhookVerificationFailure,
  webhookPublicKey,
} from '../src/index.js';
import { hmacSecret } from './helpers.js';

const body = '{"specversion":"1.0","id":"evt_1"}';

function ed25519() {
  const seed = generateKeyPairSync('ed25519')
    .privateKey.export({ format: 'der', type: 'pkcs8' })
    .subarray(16);
  const privateKey = `whsk_${seed.toString('base64')}`;
  return { privateKey, publicKey: webhookPublicKey(privateKey) };
}

describe('v1 (HMAC-SHA256)', () => {
  test('signatures verify with the reference standardwebhooks library, and its signatures with ours', () => {
    const secret = hmacSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = createWebhookSigner({ secret })('msg_abc', now, body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    const theirs = new Webhook(secret).sign('msg_def', new Date(now * 1000), body);
    const verify = createWebhookVerifier({ secret });
    expect(
      verify({
        body,
        headers: { 'webhook-id': 'msg_def', 'webhook-timestamp': String(now), 'webhook-signature': theirs },
      }),
    ).toEqual({
      id: 'msg_def',
      timestamp: now,
    });
  });

  test('any one valid signature in a rotated list is enough; none is a failure', () => {
    const secret = hmacSecret();
    const now = Math.floor(Date.now() / 1000);
    const good = createWebhookSigner({ secret })('msg_1', now, body)['webhook-signature'];
    const old = createWebhookSigner({ secret: hmacSecret() })('msg_1', now, body)['webhook-signature'];
    const verify = createWebhookVerifier({ secret });
    const headers = (signature: string) => ({
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(now),
      'webhook-signature': signature,
    });
    expect(verify({ body, headers: headers(`${old} ${good}`) }).id).toBe('msg_1');
    expect(() => verify({ body, headers: headers(old) })).toThrow(WebhookVerificationFailure);
  });

  test('malformed headers, ids with dots and timestamps outside the window are refused', () => {
    const secret = hmacSecret();
    const verify = createWebhookVerifier({ secret });
    const now = Math.floor(Date.now() / 1000);
    const sign = createWebhookSigner({ secret });
    expect(() => sign('msg.1', now, body)).toThrow(/message ids/);
    const signed = sign('msg_1', now, body);
    const check = (overrides: Record<string, string | undefined>, at = now * 1000) => {
      try {
        verify({ body, headers: { ...signed, ...overrides }, now: at });
        return 'ok';
      } catch (error) {
        return (error as WebhookVerificationFailure).reason;
      }
    };
    expect(check({})).toBe('ok');
    expect(check({ 'webhook-id': undefined })).toContain('missing');
    expect(check({ 'webhook-id': 'msg.1' })).toContain('malformed webhook-id');
    expect(check({ 'webhook-timestamp': '12e9' })).toContain('malformed webhook-timestamp');
    expect(check({}, (now + 301) * 1000)).toContain('window');
    expect(check({}, (now - 301) * 1000)).toContain('window');
    expect(check({}, (now + 299) * 1000)).toBe('ok');
  });

  test('short or unprefixed secrets are configuration errors', () => {
    expect(() => createWebhookSigner({ secret: 'plain-secret' })).toThrow(/whsec_/);
    expect(() => createWebhookSigner({ secret: `whsec_${Buffer.alloc(8).toString('base64')}` })).toThrow(
      /24 random bytes/,
    );
  });
});

describe('v1a (Ed25519)', () => {
  test('the signature is Ed25519 over "id.timestamp.body", as the specification defines', () => {
    const { privateKey, publicKey } = ed25519();
    const now = Math.floor(Date.now() / 1000);
    const headers = createWebhookSigner({ privateKey })('msg_ed', now, body);
    expect(headers['webhook-signature']).toMatch(/^v1a,/);
    expect(createWebhookVerifier({ publicKey })({ body, headers }).id).toBe('msg_ed');
    // Independently: a signature made with node:crypto over the spec's content verifies too.
    const seed = Buffer.from(privateKey.slice(5), 'base64');
    const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
    const signature = sign(null, Buffer.from(`msg_x.${now}.${body}`), {
      key: der,
      format: 'der',
      type: 'pkcs8',
    }).toString('base64');
    expect(
      createWebhookVerifier({ publicKey })({
        body,
        headers: {
          'webhook-id': 'msg_x',
          'webhook-timestamp': String(now),
          'webhook-signature': `v1a,${signature}`,
        },
      }).id,
    ).toBe('msg_x');
  });

  test('another key, a v1 signature or a changed byte does not verify', () => {
    const a = ed25519();
    const b = ed25519();
    const now = Math.floor(Date.now() / 1000);
    const headers = createWebhookSigner({ privateKey: a.privateKey })('msg_ed', now, body);
    expect(() => createWebhookVerifier({ publicKey: b.publicKey })({ body, headers })).toThrow(
      WebhookVerificationFailure,
    );
    expect(() => createWebhookVerifier({ publicKey: a.publicKey })({ body: `${body} `, headers })).toThrow(
      WebhookVerificationFailure,
    );
    const hmac = createWebhookSigner({ secret: hmacSecret() })('msg_ed', now, body);
    expect(() => createWebhookVerifier({ publicKey: a.publicKey })({ body, headers: hmac })).toThrow(
      WebhookVerificationFailure,
    );
  });
});

describe('replay guard', () => {
  test('an id is claimed once until it lapses; a full guard refuses rather than forgets', async () => {
    let now = 1_000;
    const guard = createMemoryReplayGuard({ now: () => now, capacity: 2 });
    expect(await guard.claim('a', 2_000)).toBe(true);
    expect(await guard.claim('a', 2_000)).toBe(false);
    expect(await guard.claim('b', 2_000)).toBe(true);
    expect(await guard.claim('c', 2_000)).toBe(false);
    now = 2_000;
    expect(await guard.claim('c', 3_000)).toBe(true);
    expect(await guard.claim('a', 3_000)).toBe(true);
  });
});
