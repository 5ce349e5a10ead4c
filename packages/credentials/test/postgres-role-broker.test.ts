import { createHash, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { type Countersign, createCountersign, type Grant, isCountersignError } from '@countersign/core';
import { sampleCredentialRequest } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import pg from 'pg';
import { afterEach, expect, test } from 'vitest';
import { createPostgresRoleBroker, type PostgresRoleBroker } from '../src/index.js';
import { admin, asRole, freshDatabase, PG_URL, roleExists } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const CONTEXT = {
  actor: 'agent:report-bot',
  reason: 'Alice asked for the churn report',
  sessionId: 'sess_1',
};

async function setup(privileges?: (schema: string) => string[]) {
  const db = await freshDatabase();
  const broker = createPostgresRoleBroker({
    connectionString: PG_URL,
    rolePrefix: db.prefix,
    schema: db.schema,
  });
  cleanups.push(db.cleanup, () => broker.close());
  const cs = createCountersign({
    store: createMemoryStore(),
    policy: [
      {
        id: 'reads-as-a-role',
        match: { action: 'db.read*' },
        effect: 'allow',
        credentials: {
          broker: 'pg',
          privileges: privileges?.(db.schema) ?? [`USAGE ON SCHEMA ${db.schema}`, 'SELECT ON customers'],
        },
      },
    ],
    credentialBrokers: { pg: broker },
  });
  cleanups.push(() => cs.close());
  return { ...db, broker, cs };
}

function read<T>(cs: Countersign, run: (grant: Grant) => Promise<T>, params: Record<string, unknown> = {}) {
  return cs.guard({ name: 'db.readTable', resource: 'customers', params, run }, CONTEXT);
}

test('privileges outside the allow-list are refused at creation, before any role exists', async () => {
  const db = await freshDatabase();
  cleanups.push(db.cleanup);
  const broker: PostgresRoleBroker = createPostgresRoleBroker({
    connectionString: PG_URL,
    rolePrefix: db.prefix,
  });
  cleanups.push(() => broker.close());
  let error: unknown;
  try {
    createCountersign({
      store: createMemoryStore(),
      policy: [
        {
          id: 'sneaky',
          match: { action: 'db.read*' },
          effect: 'allow',
          credentials: { broker: 'pg', privileges: ['SELECT ON customers; ALTER ROLE postgres NOSUPERUSER'] },
        },
      ],
      credentialBrokers: { pg: broker },
    });
  } catch (caught) {
    error = caught;
  }
  expect(isCountersignError(error, 'invalid_config')).toBe(true);
  expect(String(error)).toContain('rule "sneaky"');
});

test('a grant that names a table that does not exist fails closed: nothing runs and no role is left', async () => {
  const { cs, prefix } = await setup((schema) => [`USAGE ON SCHEMA ${schema}`, 'SELECT ON no_such_table']);
  let ran = false;
  const error = await read(cs, async () => {
    ran = true;
  }).catch((caught: unknown) => caught);
  expect(isCountersignError(error, 'credential_failed')).toBe(true);
  expect(String(error)).toContain('no_such_table');
  expect(ran).toBe(false);
  const left = await admin((client) =>
    client.query('SELECT 1 FROM pg_roles WHERE starts_with(rolname, $1)', [prefix]),
  );
  expect(left.rowCount).toBe(0);
});

test('the action can do what was granted and nothing else; PostgreSQL itself refuses the rest', async () => {
  const { cs, schema } = await setup();
  const results = await read(cs, async (grant) => {
    const url = grant.credentials!.connectionString!;
    return {
      select: await asRole(url, 'SELECT name FROM customers ORDER BY id'),
      otherTable: await asRole(url, 'SELECT * FROM orders'),
      insert: await asRole(url, "INSERT INTO customers VALUES (3, 'Eve')"),
      create: await asRole(url, `CREATE TABLE ${schema}.stolen (x int)`),
      drop: await asRole(url, 'DROP TABLE customers'),
      createRole: await asRole(url, 'CREATE ROLE intruder SUPERUSER'),
      escalate: await asRole(url, `ALTER ROLE ${grant.credentials!.user} CREATEROLE`),
      grantRole: await asRole(url, 'GRANT pg_read_all_data TO CURRENT_USER'),
    };
  });
  expect(results.select).toEqual({ rows: [{ name: 'Ada' }, { name: 'Grace' }] });
  // 42501: insufficient_privilege.
  for (const refused of [
    'otherTable',
    'insert',
    'create',
    'drop',
    'createRole',
    'escalate',
    'grantRole',
  ] as const) {
    expect({ [refused]: results[refused] }).toEqual({ [refused]: { code: '42501' } });
  }
});

test('after the call the role no longer exists and a connection it left open is gone', async () => {
  const { cs } = await setup();
  let role = '';
  let open: pg.Client | null = null;
  const during = await read(cs, async (grant) => {
    role = grant.credentials!.user!;
    open = new pg.Client({ connectionString: grant.credentials!.connectionString });
    open.on('error', () => {});
    await open.connect();
    const rows = (await open.query('SELECT count(*)::int AS n FROM customers')).rows;
    return { exists: await roleExists(role), rows };
  });
  expect(during).toEqual({ exists: true, rows: [{ n: 2 }] });
  expect(await roleExists(role)).toBe(false);
  const client = open as unknown as pg.Client;
  const after = await client.query('SELECT 1').then(
    () => 'still open',
    () => 'terminated',
  );
  expect(after).toBe('terminated');
  await client.end().catch(() => {});
});

test('the role is dropped when the action throws, and an issued role can be revoked only once it is marked as ours', async () => {
  const { cs, broker, prefix } = await setup();
  let role = '';
  const error = await read(cs, async (grant) => {
    role = grant.credentials!.user!;
    throw new Error('the export crashed');
  }).catch((caught: unknown) => caught);
  expect(String(error)).toContain('the export crashed');
  expect(await roleExists(role)).toBe(false);

  // A role that matches the prefix but that the broker did not create is never dropped.
  const manual = `${prefix}manual`;
  await admin((client) => client.query(`CREATE ROLE ${manual}`));
  await expect(broker.revoke(manual)).rejects.toThrow('did not create it');
  expect(await roleExists(manual)).toBe(true);
});

test('two concurrent grants get two roles, each gone after its call', async () => {
  const { cs } = await setup();
  let arrived = 0;
  let release: () => void = () => {};
  const both = new Promise<void>((resolve) => {
    release = resolve;
  });
  const one = async (grant: Grant) => {
    if (++arrived === 2) release();
    await both;
    return { user: grant.credentials!.user!, exists: await roleExists(grant.credentials!.user!) };
  };
  const [a, b] = await Promise.all([read(cs, one, { n: 1 }), read(cs, one, { n: 2 })]);
  expect(a.user).not.toBe(b.user);
  expect(a.exists && b.exists).toBe(true);
  expect(await roleExists(a.user)).toBe(false);
  expect(await roleExists(b.user)).toBe(false);
});

interface ScramSession {
  clientNonce: string;
  response: string;
}
// pg's own SCRAM client: what every password login of an issued role runs.
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl') as {
  startSession(mechanisms: string[]): ScramSession;
  continueSession(session: ScramSession, password: string, serverData: string): Promise<void>;
  finalizeSession(session: ScramSession, serverData: string): void;
};

test('the password authenticates against the SCRAM verifier PostgreSQL stored, which holds no password', async () => {
  const { broker, schema } = await setup();
  const request = sampleCredentialRequest([`USAGE ON SCHEMA ${schema}`, 'SELECT ON customers']);
  const handle = broker.handle(request);
  const { password } = await broker.issue(request, handle);
  try {
    const stored = await admin(
      async (client) =>
        (
          await client.query<{ rolpassword: string }>(
            'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
            [handle],
          )
        ).rows[0]!.rolpassword,
    );
    expect(stored).not.toContain(password!);
    const [, iterations, salt, storedKey, serverKey] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(
      stored,
    )!;
    // The server's side of a SCRAM-SHA-256 exchange (RFC 5802), from the stored verifier alone.
    const login = async (attempt: string) => {
      const session = sasl.startSession(['SCRAM-SHA-256']);
      const serverFirst = `r=${session.clientNonce}server,s=${salt},i=${iterations}`;
      await sasl.continueSession(session, attempt, serverFirst);
      const withoutProof = session.response.replace(/,p=[^,]+$/, '');
      const proof = Buffer.from(/,p=([^,]+)$/.exec(session.response)![1]!, 'base64');
      const authMessage = `n=*,r=${session.clientNonce},${serverFirst},${withoutProof}`;
      const signature = createHmac('sha256', Buffer.from(storedKey!, 'base64')).update(authMessage).digest();
      const clientKey = Buffer.from(proof.map((byte, i) => byte ^ signature[i]!));
      if (createHash('sha256').update(clientKey).digest('base64') !== storedKey) return false;
      const serverSignature = createHmac('sha256', Buffer.from(serverKey!, 'base64'))
        .update(authMessage)
        .digest('base64');
      sasl.finalizeSession(session, `v=${serverSignature}`);
      return true;
    };
    expect(await login(password!)).toBe(true);
    expect(await login(`${password}x`)).toBe(false);
  } finally {
    await broker.revoke(handle);
  }
});
