// PostgreSQL for the store's tests: fresh schemas, a run log for child processes; skipped outside CI when the server is absent.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '@countersign/core';
import pg from 'pg';
import { beforeEach, inject } from 'vitest';
import type {} from '../../../vitest.postgres.js';
import { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../src/index.js';

// The root's global setup (vitest.postgres.ts) checked the server once for the whole run. Every
// test of a file that imports these helpers skips when it does not answer, outside CI; the setup
// printed the one line that says why and what to do.
const postgres = inject('postgres');
if (postgres.skip !== null) {
  const reason = postgres.skip;
  beforeEach((context) => context.skip(reason));
}

export const PG_URL = postgres.url;

export function randomSchema(prefix = 'cs_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A migrated store in a fresh schema. */
export async function freshStore(options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const store = createPostgresStore({ connectionString: PG_URL, schema: randomSchema(), ...options });
  await store.migrate();
  return store;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * For the conformance suites' `destroy`, which runs before the suite closes the store: closed
 * first (close is idempotent), so no seal of its own runs while the schema is dropped.
 */
export async function closeAndDrop(store: Store): Promise<void> {
  await store.close();
  await dropSchema((store as PostgresStore).schema);
}

/**
 * A migrated store in a fresh schema, and an empty file to which child processes append one line
 * each time their action runs. What undoes both is pushed onto `cleanups`.
 */
export async function storeWithRunLog(
  cleanups: (() => void | Promise<void>)[],
): Promise<{ store: PostgresStore; ranFile: string }> {
  const store = await freshStore();
  const dir = mkdtempSync(join(tmpdir(), 'cs-pg-'));
  const ranFile = join(dir, 'ran.log');
  writeFileSync(ranFile, '');
  cleanups.push(async () => {
    await store.close();
    await dropSchema(store.schema);
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, ranFile };
}
