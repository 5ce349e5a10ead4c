import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCountersign } from '@countersign/core';
import { createPostgresStore } from '@countersign/postgres-store';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, test, vi } from 'vitest';
import type {} from '../../../vitest.postgres.js';
import { POLICY } from './fixtures.js';
import { cli } from './run-cli.js';

vi.setConfig({ testTimeout: 120_000 });

// Skipped outside CI when no PostgreSQL answers (vitest.postgres.ts says so once); run and fail in CI.
const postgres = inject('postgres');
const skip = postgres.skip;
if (skip !== null) beforeEach((context) => context.skip(skip));
const PG_URL = postgres.url;
const schema = `cs_cli_${randomBytes(6).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'cs-cli-export-'));
let exported = '';

/** The driver postgres-store uses, to drop the test schema; the CLI itself never creates or drops anything. */
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
const pg = createRequire(new URL('../../postgres-store/package.json', import.meta.url))('pg') as {
  Client: new (options: { connectionString: string }) => PgClient;
  escapeIdentifier(name: string): string;
};

beforeAll(async () => {
  if (skip !== null) return;
  const store = createPostgresStore({ connectionString: PG_URL, schema });
  await store.migrate();
  const cs = createCountersign({ store, ...POLICY } as never);
  const context = { actor: 'agent:report-bot', reason: 'Q3 report', sessionId: 'sess_1' };
  // The action consumes its grant, so the entry that ends it carries consumedAt through the store.
  const check = { name: 'db.read', resource: 'prod/db', params: { table: 'orders' }, sessionId: 'sess_1' };
  await cs.guard(
    {
      name: 'db.read',
      resource: 'prod/db',
      params: { table: 'orders' },
      run: (grant) => cs.grants.consume(grant.token, check),
    },
    context,
  );
  await cs.guard({ name: 'iam.grant', resource: 'prod', params: {}, run: () => 1 }, context).catch(() => {});
  exported = await cs.audit.export();
  await cs.close();
});

afterAll(async () => {
  if (skip !== null) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('countersign audit export', () => {
  test('--format jsonl writes the log as cs.audit.export() does, and it verifies', () => {
    const result = cli(['audit', 'export', '--store', PG_URL, '--schema', schema, '--format', 'jsonl'], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(exported);
    writeFileSync(join(dir, 'exported.jsonl'), result.stdout);
    const verified = cli(['audit', 'verify', 'exported.jsonl'], dir);
    expect(verified.code).toBe(0);
    expect(verified.stdout.split('\n')[0]).toMatch(
      /^ok {3}chain exported\.jsonl: 3 entries, seq 1-3, head [0-9a-f]{64}$/,
    );
  });

  test('--format ocsf writes one API Activity event per entry', () => {
    const result = cli(['audit', 'export', `--store=${PG_URL}`, `--schema=${schema}`, '--format=ocsf'], dir);
    expect(result.code).toBe(0);
    const events = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    // An allowed call is two entries: its grant, and the outcome that also revokes it.
    expect(events.map((e) => [e.class_uid, e.activity_name, e.disposition])).toEqual([
      [6003, 'allowed', 'Allowed'],
      [6003, 'executed', 'Access Revoked'],
      [6003, 'policy_denied', 'Blocked'],
    ]);
    const executed = JSON.parse(exported.split('\n')[1]!) as { at: number; consumedAt: number | null };
    expect(executed.consumedAt).toEqual(expect.any(Number));
    expect(events[1]).toMatchObject({ start_time: executed.consumedAt, end_time: executed.at });
  });

  test('a store that cannot be read is exit 3, and the password stays out of the message', () => {
    const url = new URL(PG_URL);
    url.password = 'hunter2-secret';
    const result = cli(
      ['audit', 'export', '--store', url.href, '--schema', 'cs_cli_no_such_schema', '--format', 'jsonl'],
      dir,
    );
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(`^countersign: cannot read the audit log from postgres://${url.host}${url.pathname}: `),
    );
    expect(result.stderr).not.toContain('hunter2');
  });
});
