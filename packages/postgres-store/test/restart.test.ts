import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCountersign } from '@countersign/core';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { createPostgresStore } from '../src/index.js';
import { killChildren, spawnChild } from './children.js';
import { policy } from './fixtures/policy.js';
import { randomSchema } from './helpers.js';
import { findPgBin, startTempCluster, type TempCluster } from './temp-cluster.js';

const bin = findPgBin();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function waitForListener(url: string, channel: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      const { rows } = await client.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1',
        [`LISTEN "${channel}"`],
      );
      if (rows[0].n > 0) return;
    } catch {
      // The server may still be starting.
    } finally {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline) throw new Error(`no LISTEN on ${channel} within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// A separate throwaway server, never the shared one: other test files run against it in parallel.
describe.skipIf(bin === null)('PostgreSQL restart while agents wait', () => {
  test('waiting agents lose nothing: the listener reconnects, a failed poll re-guards, each action runs once', async () => {
    let cluster: TempCluster | null = null;
    cleanups.push(() => cluster?.destroy());
    cluster = await startTempCluster(bin!);
    const url = cluster.url;
    const schema = randomSchema();
    const dir = mkdtempSync(join(tmpdir(), 'cs-pg-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ranFile = join(dir, 'ran.log');
    writeFileSync(ranFile, '');
    const setupStore = createPostgresStore({ connectionString: url, schema });
    await setupStore.migrate();
    await setupStore.close();

    // One agent sleeps on LISTEN (30s poll), the other polls every 100ms and re-guards on store errors.
    const listening = spawnChild('agent', {
      url,
      schema,
      notifications: true,
      pollInterval: '30s',
      jobs: [{ key: 'via-notify', sessionId: 'sess_n' }],
      ranFile,
    });
    const polling = spawnChild('agent', {
      url,
      schema,
      notifications: false,
      pollInterval: '100ms',
      jobs: [{ key: 'via-poll', sessionId: 'sess_p' }],
      ranFile,
      retryStoreErrors: true,
    });
    const first = await listening.waitFor((e) => e.event === 'requested');
    const second = await polling.waitFor((e) => e.event === 'requested');

    const restartStarted = Date.now();
    await cluster.restart();
    const restartMs = Date.now() - restartStarted;
    await waitForListener(url, `${schema}_requests`, 15_000);
    const relistenMs = Date.now() - restartStarted;

    const approver = createCountersign({
      store: createPostgresStore({ connectionString: url, schema }),
      policy,
    });
    cleanups.push(() => approver.close());
    for (const event of [first, second]) {
      await approver.decide(event.requestId as string, { approver: 'user:bob', outcome: 'approve' });
    }
    const approvedAt = Date.now();
    const ranNotify = await listening.waitFor((e) => e.event === 'ran', 10_000);
    await polling.waitFor((e) => e.event === 'ran', 10_000);
    expect((ranNotify.at as number) - approvedAt).toBeLessThan(3_000);
    expect((await listening.exited).code).toBe(0);
    expect((await polling.exited).code).toBe(0);

    const keys = readFileSync(ranFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')[0]);
    expect(keys.sort()).toEqual(['via-notify', 'via-poll']);
    for (const event of [first, second]) {
      expect((await approver.getRequest(event.requestId as string))?.status).toBe('executed');
    }
    expect((await approver.audit.verify()).ok).toBe(true);
    const storeErrors = polling.events.filter((e) => e.event === 'store_error').length;
    console.info(
      `restart ${restartMs}ms, LISTEN back after ${relistenMs}ms, polling agent re-guarded ${storeErrors}x`,
    );
  }, 45_000);
});
