import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createCountersign } from '@countersign/core';
import { createPostgresStore } from '@countersign/postgres-store';
import { afterEach, expect, test } from 'vitest';
import { createPostgresRoleBroker } from '../src/index.js';
import { admin, freshDatabase, PG_URL, roleExists } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const AGENT = fileURLToPath(new URL('./fixtures/agent.ts', import.meta.url));
// The child runs from source through tsx, which the PostgreSQL store's package provides.
const TSX_HOME = fileURLToPath(new URL('../../postgres-store/', import.meta.url));

/** Starts the agent and resolves with the role its action holds, once it is running. */
function startAgent(config: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--conditions=@countersign/source', '--import', 'tsx', AGENT, JSON.stringify(config)],
    { cwd: TSX_HOME, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const running = new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const line = buffer.split('\n').find((text) => text.includes('"running"'));
      if (line) resolve((JSON.parse(line) as { user: string }).user);
    });
    child.on('exit', (code, signal) => reject(new Error(`agent exited (${code ?? signal}):\n${stderr}`)));
  });
  const killed = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  return { child, running, killed };
}

test("a SIGKILLed process's role is reaped by another process's sweep once its grant expires", async () => {
  const db = await freshDatabase();
  cleanups.push(db.cleanup);
  const storeSchema = `${db.schema}_store`;
  const store = createPostgresStore({ connectionString: PG_URL, schema: storeSchema });
  await store.migrate();
  cleanups.push(() =>
    admin((client) => client.query(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE`)).then(() => {}),
  );

  const agent = startAgent({ url: PG_URL, storeSchema, schema: db.schema, prefix: db.prefix });
  const role = await agent.running;
  expect(await roleExists(role)).toBe(true);
  agent.child.kill('SIGKILL');
  expect(await agent.killed).toBe('SIGKILL');
  expect(await roleExists(role)).toBe(true);

  const broker = createPostgresRoleBroker({
    connectionString: PG_URL,
    rolePrefix: db.prefix,
    schema: db.schema,
  });
  cleanups.push(() => broker.close());
  // A minute and a half later by this sweeper's clock: the 60-second grant has expired.
  const later = { now: () => Date.now() + 90_000, setTimeout, clearTimeout } as never;
  const sweeper = createCountersign({
    store,
    policy: [{ id: 'reads', match: { action: 'db.read*' }, effect: 'allow' }],
    credentialBrokers: { pg: broker },
    clock: later,
  });
  cleanups.push(() => sweeper.close());
  // The grant the killed process held, revoked and audited as ended, and its role, reaped.
  expect(await sweeper.sweep()).toBe(2);
  expect(await roleExists(role)).toBe(false);
  const types = (await sweeper.audit.entries()).map((entry) => entry.type);
  expect(types).toEqual(['allowed', 'credential_issued', 'revoked', 'credential_reaped']);
  expect(await sweeper.sweep()).toBe(0);
});

test('a sweep before the grant expires leaves a live role alone', async () => {
  const db = await freshDatabase();
  cleanups.push(db.cleanup);
  const storeSchema = `${db.schema}_store`;
  const store = createPostgresStore({ connectionString: PG_URL, schema: storeSchema });
  await store.migrate();
  cleanups.push(() =>
    admin((client) => client.query(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE`)).then(() => {}),
  );
  const agent = startAgent({ url: PG_URL, storeSchema, schema: db.schema, prefix: db.prefix });
  const role = await agent.running;
  const broker = createPostgresRoleBroker({
    connectionString: PG_URL,
    rolePrefix: db.prefix,
    schema: db.schema,
  });
  cleanups.push(() => broker.close());
  const sweeper = createCountersign({
    store,
    policy: [{ id: 'reads', match: { action: 'db.read*' }, effect: 'allow' }],
    credentialBrokers: { pg: broker },
  });
  cleanups.push(() => sweeper.close());
  expect(await sweeper.sweep()).toBe(0);
  expect(await roleExists(role)).toBe(true);
});
