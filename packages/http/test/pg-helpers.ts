// PostgreSQL for tests: a fresh schema each, dropped after; skipped outside CI when the server is absent.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { beforeEach, inject } from 'vitest';
import type {} from '../../../vitest.postgres.js';

const postgres = inject('postgres');
if (postgres.skip !== null) {
  const reason = postgres.skip;
  beforeEach((context) => context.skip(reason));
}

export const PG_URL = postgres.url;

export function randomSchema(): string {
  return `cs_http_${randomBytes(6).toString('hex')}`;
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
