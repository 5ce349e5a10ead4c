import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { beforeEach, expect, inject, test } from 'vitest';
import type {} from '../../../vitest.postgres.js';
import { runExample } from '../../run-example.js';

const postgres = inject('postgres');
if (postgres.skip !== null) {
  const reason = postgres.skip;
  beforeEach((context) => context.skip(reason));
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

/** `pg` is the PostgreSQL store's dependency, not this example's: borrowed from there to clean up. */
async function dropSchema(schema: string): Promise<void> {
  const require = createRequire(new URL('../../../packages/postgres-store/package.json', import.meta.url));
  const { Client } = require('pg') as { Client: new (config: { connectionString: string }) => PgClient };
  const client = new Client({ connectionString: postgres.url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

test('the server and the agent run with one command; an approval through the API resumes the agent', async () => {
  const schema = `cs_example_${Date.now().toString(36)}`;
  const { code, stdout } = await runExample(import.meta.url, {
    EXAMPLE_AUTO_APPROVE: '1',
    PORT: String(await freePort()),
    COUNTERSIGN_PG_URL: postgres.url,
    COUNTERSIGN_SCHEMA: schema,
  }).finally(() => dropSchema(schema));
  expect(stdout).toContain('approval server listening on http://127.0.0.1:');
  expect(stdout).toMatch(/approval page: http:\/\/127\.0\.0\.1:\d+\/inbox\/requests\/req_/);
  expect(stdout).toContain('[simulated] approved through the API: HTTP 200');
  expect(stdout).toContain('agent   | resumed; exported 1284 rows.');
  expect(stdout).toContain('hash chain intact');
  expect(stdout).not.toContain('sk_live_do_not_show_me');
  expect(code).toBe(0);
}, 60_000);
