import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../src/index.js';

export const PG_URL = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

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
