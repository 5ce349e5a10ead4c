// The example end to end: one command, two processes, a clean schema each run, one clear line without PostgreSQL.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, inject, test } from 'vitest';
import type {} from '../../../vitest.postgres.js';

const postgres = inject('postgres');

function start(env: Record<string, string>) {
  return spawnSync(
    process.execPath,
    ['--conditions=@countersign/source', '--import', 'tsx', 'src/start.ts'],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

test('without PostgreSQL: one line saying how to start it or set COUNTERSIGN_PG_URL, no stack trace', async () => {
  const result = start({ COUNTERSIGN_PG_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/test` });
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(
    /cannot connect to PostgreSQL .*ECONNREFUSED.*\)\. Start PostgreSQL there, .* or set COUNTERSIGN_PG_URL\.$/m,
  );
  expect(result.stdout + result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).toBe('');
});

describe.skipIf(postgres.skip !== null)('with PostgreSQL', () => {
  test('pnpm start: the agent deploys only after the approval server approves, and exits 0', async () => {
    const schema = `example_${randomBytes(5).toString('hex')}`;
    try {
      const result = start({ COUNTERSIGN_PG_URL: postgres.url, COUNTERSIGN_SCHEMA: schema });
      expect(result.status, result.stdout + result.stderr).toBe(0);
      const lines = result.stdout.split('\n');
      const approved = lines.findIndex((line) => line.includes('bob approves'));
      const ran = lines.findIndex((line) => line.includes('running the deploy'));
      expect(approved).toBeGreaterThan(-1);
      expect(ran).toBeGreaterThan(approved);
      expect(result.stdout).toContain('audit chain verified');
    } finally {
      await sql(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    }
  });

  test('every run starts from an empty schema: a second run finds nothing of the first', async () => {
    const schema = `example_${randomBytes(5).toString('hex')}`;
    try {
      const runs = [1, 2].map(() => start({ COUNTERSIGN_PG_URL: postgres.url, COUNTERSIGN_SCHEMA: schema }));
      for (const run of runs) expect(run.status, run.stdout + run.stderr).toBe(0);
      const [first, second] = runs.map(
        (run) => run.stdout.match(/audit chain verified \((\d+) entries\)/)?.[1],
      );
      expect(first).toBeDefined();
      expect(second).toBe(first);
      expect(runs[1]?.stdout.match(/new request/g)).toHaveLength(1);
    } finally {
      await sql(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    }
  });

  test('a schema holding other tables is left alone, with a message saying what to do', async () => {
    const schema = `example_${randomBytes(5).toString('hex')}`;
    await sql(
      `CREATE SCHEMA ${pg.escapeIdentifier(schema)}; CREATE TABLE ${pg.escapeIdentifier(schema)}.orders (id int)`,
    );
    try {
      const result = start({ COUNTERSIGN_PG_URL: postgres.url, COUNTERSIGN_SCHEMA: schema });
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(
        /holds tables that are not a countersign store \(orders\).*COUNTERSIGN_SCHEMA/,
      );
    } finally {
      await sql(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    }
  });
});
