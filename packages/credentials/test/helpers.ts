// Shared set-up for the PostgreSQL broker tests: skip without a server outside CI, fresh schemas and role prefixes.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { beforeEach, inject } from 'vitest';
import type {} from '../../../vitest.postgres.js';

// The root's global setup checked the server once; every test here skips when it does not answer, outside CI.
const postgres = inject('postgres');
if (postgres.skip !== null) {
  const reason = postgres.skip;
  beforeEach((context) => context.skip(reason));
}

export const PG_URL = postgres.url;

/** A fresh schema with `customers` (two rows) and `orders`, and a role prefix no other test uses. */
export async function freshDatabase(): Promise<{
  schema: string;
  prefix: string;
  cleanup: () => Promise<void>;
}> {
  const suffix = randomBytes(4).toString('hex');
  const schema = `cs_cred_${suffix}`;
  const prefix = `cs_t${suffix}_`;
  await admin(async (client) => {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`CREATE TABLE ${schema}.customers (id int PRIMARY KEY, name text NOT NULL)`);
    await client.query(`INSERT INTO ${schema}.customers VALUES (1, 'Ada'), (2, 'Grace')`);
    await client.query(`CREATE TABLE ${schema}.orders (id int PRIMARY KEY, total numeric NOT NULL)`);
  });
  const cleanup = () =>
    admin(async (client) => {
      const left = await client.query<{ rolname: string }>(
        `SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)`,
        [prefix],
      );
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      for (const { rolname } of left.rows) {
        const role = pg.escapeIdentifier(rolname);
        await client.query(
          `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1`,
          [rolname],
        );
        await client.query(`DROP OWNED BY ${role}`);
        await client.query(`DROP ROLE ${role}`);
      }
    });
  return { schema, prefix, cleanup };
}

export async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function roleExists(role: string): Promise<boolean> {
  return admin(async (client) => {
    const found = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    return found.rowCount === 1;
  });
}

/** Runs `sql` as the issued role; resolves with the rows, or the PostgreSQL error code it failed with. */
export async function asRole(
  connectionString: string,
  sql: string,
): Promise<{ rows: unknown[] } | { code: string }> {
  const client = new pg.Client({ connectionString });
  client.on('error', () => {});
  try {
    await client.connect();
    const result = await client.query(sql);
    return { rows: result.rows };
  } catch (error) {
    return { code: String((error as { code?: unknown }).code ?? (error as Error).message) };
  } finally {
    await client.end().catch(() => {});
  }
}
