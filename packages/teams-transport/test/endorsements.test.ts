import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestClock } from '@countersign/core/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { VERB } from '../src/index.js';
import { OpenIdKeys } from '../src/openid-keys.js';
import { BOB, type Harness, listen, setup } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function approveWith(h: Harness) {
  const asked = await h.ask();
  const result = await h.teams.click({ user: BOB, activityId: asked.activityId, verb: VERB.Approve });
  return { result, decisions: (await h.cs.getRequest(asked.request.id))?.decisions ?? [] };
}

describe('endorsements are checked as Microsoft’s validator checks them', () => {
  test.each([
    ['no endorsements member', null],
    ['an empty endorsements list', []],
  ])('a key with %s signs for any channel, as in botbuilder', async (_, endorsements) => {
    h = await setup();
    await h.teams.rotateKeys({ endorsements });
    const { result, decisions } = await approveWith(h);
    expect(result.status).toBe(200);
    expect(decisions).toHaveLength(1);
  });

  test('a key that lists endorsements must list msteams', async () => {
    h = await setup();
    await h.teams.rotateKeys({ endorsements: ['webchat', 'directline'] });
    const { result, decisions } = await approveWith(h);
    expect(result.status).toBe(401);
    expect(decisions).toEqual([]);
    expect(h.logs.join('\n')).toContain('refused an activity: unendorsed');
  });

  test('a key whose endorsements cannot be read is never loaded as unrestricted', async () => {
    const jwk = (kid: string, extra: Record<string, unknown>) => ({
      kty: 'RSA',
      kid,
      n: 'AQAB',
      e: 'AQAB',
      ...extra,
    });
    const server = await listen(
      createServer((req, res) => {
        res.setHeader('content-type', 'application/json');
        const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        if (req.url === '/metadata') return res.end(JSON.stringify({ jwks_uri: `${origin}/keys` }));
        res.end(
          JSON.stringify({
            keys: [
              jwk('absent', {}),
              jwk('empty', { endorsements: [] }),
              jwk('listed', { endorsements: ['msteams'] }),
              jwk('a-string', { endorsements: 'msteams' }),
              jwk('not-strings', { endorsements: [7] }),
              jwk('mixed', { endorsements: ['msteams', null] }),
            ],
          }),
        );
      }),
    );
    try {
      const keys = new OpenIdKeys({
        metadataUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`,
        clock: createTestClock(),
        timeoutMs: 5_000,
      });
      const read = async (kid: string) => {
        const key = await keys.key(kid);
        return key === null ? 'not loaded' : key.endorsements;
      };
      expect(await read('absent')).toBeNull();
      expect(await read('empty')).toBeNull();
      expect(await read('listed')).toEqual(['msteams']);
      expect(await read('a-string')).toBe('not loaded');
      expect(await read('not-strings')).toBe('not loaded');
      expect(await read('mixed')).toBe('not loaded');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
