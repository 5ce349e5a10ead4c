import type { Clock } from '@countersign/core';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AccessTokenCache } from '../src/access-token.js';
import { TeamsCallError } from '../src/call-error.js';
import { ConnectorClient } from '../src/connector.js';
import { BACKOFF, backoffMs, nextRetry, retryAfterMs } from '../src/retry.js';
import { createTeamsEmulator, type TeamsEmulator } from '../src/testing/index.js';

const NOW = Date.UTC(2026, 0, 1);
const retry = (status: number, retryAfter: string | null = null, backoffs = 0, random = () => 0.5) =>
  nextRetry({ status, retryAfter, backoffs, now: NOW, random });

describe('which failures are retried, and after how long', () => {
  test.each([400, 401, 403, 404, 413, 500, 503])('a %i is not retried', (status) => {
    expect(retry(status)).toBeNull();
  });

  test('a 429 with Retry-After waits what it says, in seconds or as a date, without counting as a backoff', () => {
    expect(retry(429, '7')).toEqual({ waitMs: 7_000, backoff: false });
    expect(retry(429, new Date(NOW + 12_000).toUTCString())).toEqual({ waitMs: 12_000, backoff: false });
    expect(retry(429, '0')).toEqual({ waitMs: 1_000, backoff: false });
    // A Retry-After is honoured however many backoffs came before; the caller's deadline bounds it.
    expect(retry(429, '7', BACKOFF.retries)).toEqual({ waitMs: 7_000, backoff: false });
  });

  test.each([
    ['no Retry-After', null],
    ['an empty one', ''],
    ['an unreadable one', 'soon'],
    ['a fractional one', '1.5'],
  ])('a 429 with %s backs off with jitter', (_, header) => {
    expect(retry(429, header)).toEqual({ waitMs: 3_000, backoff: true });
    expect(retryAfterMs(header, NOW)).toBeNull();
  });

  test.each([412, 429, 502, 504])('a %i backs off exponentially, three times at most', (status) => {
    expect([0, 1, 2, 3].map((backoffs) => retry(status, null, backoffs))).toEqual([
      { waitMs: 3_000, backoff: true },
      { waitMs: 5_000, backoff: true },
      { waitMs: 9_000, backoff: true },
      null,
    ]);
  });

  test('the jitter spreads each wait by ±20 % of its exponential part, and the wait never passes 20 s', () => {
    expect([1, 2, 3].map((n) => backoffMs(n, () => 0))).toEqual([2_800, 4_400, 7_600]);
    expect([1, 2, 3].map((n) => backoffMs(n, () => 0.999_999))).toEqual([3_200, 5_600, 10_400]);
    expect(backoffMs(10, () => 0.5)).toBe(BACKOFF.maxMs);
    // A random source out of range cannot stretch or shrink the wait beyond the jitter.
    expect(backoffMs(1, () => 7)).toBe(3_200);
    expect(backoffMs(1, () => -1)).toBe(2_800);
  });
});

describe('the connector retries what Teams asks, with no real waiting', () => {
  let teams: TeamsEmulator;
  let waits: number[];
  /** Records each wait and fires it at once on the next turn: retries happen, nobody waits. */
  let clock: Clock;
  beforeEach(async () => {
    teams = createTeamsEmulator();
    await teams.start();
    waits = [];
    let now = NOW;
    clock = {
      now: () => now,
      setTimeout: (callback, ms) => {
        waits.push(ms);
        now += ms;
        return setImmediate(callback);
      },
      clearTimeout: (handle) => clearImmediate(handle as NodeJS.Immediate),
    };
  });
  afterEach(async () => {
    await teams.close();
  });

  function client(random = () => 0.5) {
    const tokens = new AccessTokenCache({
      tokenUrl: teams.tokenUrl,
      appId: teams.appId,
      appPassword: teams.appPassword,
      clock,
      timeoutMs: 5_000,
    });
    return new ConnectorClient({
      tokens,
      allowedOrigins: new Set([teams.url]),
      clock,
      timeoutMs: 5_000,
      random,
    });
  }
  const post = (c: ConnectorClient, deadline = NOW + 600_000) =>
    c.postActivity(teams.serviceUrl, teams.conversationId, { type: 'message', text: 'hi' }, { deadline });
  const posts = () => teams.calls.filter((c) => c.route === 'post').map((c) => c.status);

  test('a 502 then a 504 are retried after jittered, growing waits; one message is posted', async () => {
    teams.failNext('post', { status: 502 });
    teams.failNext('post', { status: 504 });
    const id = await post(client(() => 0));
    expect(posts()).toEqual([502, 504, 201]);
    expect(waits).toEqual([2_800, 4_400]);
    expect(teams.activity(id)?.history).toHaveLength(1);
  });

  test('a 412 is retried as Teams asks', async () => {
    teams.failNext('post', { status: 412 });
    await post(client());
    expect(posts()).toEqual([412, 201]);
    expect(waits).toEqual([3_000]);
  });

  test('429s without Retry-After back off three times, then the call fails as rate_limited', async () => {
    for (let i = 0; i < 10; i++) teams.failNext('post', { status: 429 });
    const error = await post(client()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TeamsCallError);
    expect(error).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(waits).toEqual([3_000, 5_000, 9_000]);
    expect(posts()).toEqual([429, 429, 429, 429]);
  });

  test('a 429 with Retry-After waits exactly that long', async () => {
    teams.rateLimit('post', { times: 2, retryAfterSeconds: 7 });
    await post(client());
    expect(waits).toEqual([7_000, 7_000]);
    expect(posts()).toEqual([429, 429, 201]);
  });

  test('a wait that would end past the deadline gives up at once', async () => {
    teams.failNext('post', { status: 502 });
    const error = await post(client(), NOW + 2_000).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'http_502', status: 502 });
    expect(waits).toEqual([]);
    expect(posts()).toEqual([502]);
  });

  test.each([500, 503, 404])('a %i is not retried', async (status) => {
    teams.failNext('post', { status });
    await expect(post(client())).rejects.toMatchObject({ status });
    expect(posts()).toEqual([status]);
    expect(waits).toEqual([]);
  });

  test('updates are retried the same way', async () => {
    const c = client();
    const id = await post(c);
    teams.failNext('update', { status: 504 });
    await c.updateActivity(
      teams.serviceUrl,
      teams.conversationId,
      id,
      { type: 'message', text: 'bye' },
      { deadline: NOW + 60_000 },
    );
    expect(teams.calls.filter((c) => c.route === 'update').map((c) => c.status)).toEqual([504, 200]);
    expect(teams.activity(id)?.history.map((a) => a.text)).toEqual(['hi', 'bye']);
  });
});
