import { sampleCredentialRequest } from '@countersign/core/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { findPgBin, startTempCluster, type TempCluster } from '../../postgres-store/test/temp-cluster.js';
import { createPostgresRoleBroker } from '../src/index.js';
import { admin, asRole, freshDatabase, PG_URL, roleExists } from './helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test('restrictPublic refuses to issue while PUBLIC may connect anywhere, names the REVOKEs, and makes no role', async () => {
  const db = await freshDatabase();
  cleanups.push(db.cleanup);
  const broker = createPostgresRoleBroker({
    connectionString: PG_URL,
    rolePrefix: db.prefix,
    schema: db.schema,
    restrictPublic: true,
  });
  cleanups.push(() => broker.close());
  const open = await broker.publicDatabasePrivileges();
  // The shared test server keeps PostgreSQL's defaults: PUBLIC may connect to its databases.
  expect(open.length).toBeGreaterThan(0);
  const request = sampleCredentialRequest(['SELECT ON customers']);
  const handle = broker.handle(request);
  const error = await broker.issue(request, handle).catch((caught: unknown) => caught);
  expect(String(error)).toContain('restrictPublic is set');
  expect(String(error)).toContain(open[0]!.revoke);
  expect(await roleExists(handle)).toBe(false);
});

test('restrictPublic is checked: not a boolean, or a connectTo without a database, is a ConfigError', () => {
  expect(() =>
    createPostgresRoleBroker({ connectionString: PG_URL, restrictPublic: 'yes' as unknown as boolean }),
  ).toThrow('restrictPublic must be true or false');
  expect(() =>
    createPostgresRoleBroker({
      connectionString: PG_URL,
      connectTo: 'postgres://127.0.0.1:5432',
      restrictPublic: true,
    }),
  ).toThrow('restrictPublic needs connectTo to name the database');
});

// A server of our own: its PUBLIC grants are changed and its connection slots filled, which the
// shared server must never see.
const bin = findPgBin();
describe.skipIf(bin === null)('on a throwaway server', () => {
  let cluster: TempCluster;
  let appUrl = '';
  let otherUrl = '';
  const onCluster = async (url: string, sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const roleOnCluster = async (role: string) =>
    ((await onCluster(appUrl, `SELECT 1 FROM pg_roles WHERE rolname = '${role}'`)).rowCount ?? 0) > 0;

  beforeAll(async () => {
    cluster = await startTempCluster(bin!, { max_connections: 10, superuser_reserved_connections: 0 });
    await onCluster(cluster.url, 'CREATE DATABASE app');
    await onCluster(cluster.url, 'CREATE DATABASE other');
    appUrl = cluster.url.replace(/\/postgres$/, '/app');
    otherUrl = cluster.url.replace(/\/postgres$/, '/other');
    await onCluster(
      appUrl,
      "CREATE TABLE customers (id int PRIMARY KEY, name text); INSERT INTO customers VALUES (1, 'Ada')",
    );
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  test('by default an issued role may connect to every database and make temporary tables; restricted, only its own, and no temporary tables', async () => {
    const as = (url: string, credentials: { connectionString?: string }) => {
      const target = new URL(credentials.connectionString!);
      target.pathname = new URL(url).pathname;
      return target.toString();
    };
    const loose = createPostgresRoleBroker({ connectionString: appUrl, rolePrefix: 'cs_loose_' });
    cleanups.push(() => loose.close());
    const request = sampleCredentialRequest(['SELECT ON customers']);
    const handle = loose.handle(request);
    const credentials = await loose.issue(request, handle);
    expect(await asRole(as(otherUrl, credentials), 'SELECT 1 AS ok')).toEqual({ rows: [{ ok: 1 }] });
    expect(await asRole(credentials.connectionString!, 'CREATE TEMP TABLE t (x int)')).toEqual({ rows: [] });
    await loose.revoke(handle);

    const open = await loose.publicDatabasePrivileges();
    expect(open.map((row) => row.database)).toEqual(['app', 'other', 'postgres', 'template1']);
    for (const row of open) await onCluster(cluster.url, row.revoke);
    expect(await loose.publicDatabasePrivileges()).toEqual([]);

    const strict = createPostgresRoleBroker({
      connectionString: appUrl,
      rolePrefix: 'cs_strict_',
      restrictPublic: true,
    });
    cleanups.push(() => strict.close());
    const narrow = sampleCredentialRequest(['SELECT ON customers']);
    const role = strict.handle(narrow);
    const issued = await strict.issue(narrow, role);
    expect(await asRole(issued.connectionString!, 'SELECT name FROM customers')).toEqual({
      rows: [{ name: 'Ada' }],
    });
    // 42501: insufficient_privilege, for the other database's CONNECT and for TEMPORARY.
    expect(await asRole(as(otherUrl, issued), 'SELECT 1')).toEqual({ code: '42501' });
    expect(await asRole(issued.connectionString!, 'CREATE TEMP TABLE t (x int)')).toEqual({ code: '42501' });
    await strict.revoke(role);
    expect(await roleOnCluster(role)).toBe(false);
  });

  test('a full server and a pool with no free client still cannot stop a role being dropped', async () => {
    const pool = new pg.Pool({ connectionString: appUrl, max: 1, connectionTimeoutMillis: 2_000 });
    pool.on('error', () => {});
    cleanups.push(() => pool.end());
    const broker = createPostgresRoleBroker({ pool, rolePrefix: 'cs_busy_' });
    cleanups.push(() => broker.close());
    const request = sampleCredentialRequest(['SELECT ON customers']);
    const handle = broker.handle(request);
    await broker.issue(request, handle);

    // The application holds the pool's only client, and other clients take every slot left.
    const busy = await pool.connect();
    cleanups.push(async () => busy.release());
    const fillers: pg.Client[] = [];
    cleanups.push(() => Promise.all(fillers.map((client) => client.end().catch(() => {}))));
    let refusal = '';
    while (refusal === '' && fillers.length < 20) {
      const client = new pg.Client({ connectionString: appUrl });
      client.on('error', () => {});
      await client.connect().then(
        () => fillers.push(client),
        (error: { code?: string }) => {
          refusal = String(error.code);
        },
      );
    }
    // 53300: too_many_connections.
    expect(refusal).toBe('53300');

    await broker.revoke(handle);
    for (const client of fillers.splice(0)) await client.end();
    expect(await roleOnCluster(handle)).toBe(false);
  });
});

test('revocations go through the reserved connection one at a time, and a broken one is replaced', async () => {
  const db = await freshDatabase();
  cleanups.push(db.cleanup);
  // Its own application_name, so only this broker's sessions are killed below.
  const name = `${db.prefix}revoker`;
  const broker = createPostgresRoleBroker({
    connectionString: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${name}`,
    connectTo: PG_URL,
    rolePrefix: db.prefix,
    schema: db.schema,
  });
  cleanups.push(() => broker.close());
  const issue = async () => {
    const request = sampleCredentialRequest([`USAGE ON SCHEMA ${db.schema}`, 'SELECT ON customers']);
    const handle = broker.handle(request);
    await broker.issue(request, handle);
    return handle;
  };
  const handles = await Promise.all([issue(), issue(), issue()]);
  await Promise.all(handles.map((handle) => broker.revoke(handle)));
  for (const handle of handles) expect(await roleExists(handle)).toBe(false);

  // Kill the reserved connection, then revoke again: a fresh one takes its place.
  const next = await issue();
  const killed = await admin((client) =>
    client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = $1 AND state = 'idle'`,
      [name],
    ),
  );
  expect(killed.rowCount).toBeGreaterThanOrEqual(1);
  await broker.revoke(next);
  expect(await roleExists(next)).toBe(false);
});
