import { canonicalJson, verifyAuditLog } from '@countersign/core';
import { sampleDraft, sampleGrant, sampleRequest } from '@countersign/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/index.js';
import { dropSchema, freshStore, PG_URL, randomSchema } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tracked(store: PostgresStore): Promise<PostgresStore> {
  cleanups.push(async () => {
    await store.close();
    await dropSchema(store.schema);
  });
  return store;
}

async function exportLog(store: PostgresStore): Promise<string> {
  const entries = await store.readAudit(0, 100_000);
  return entries.map((entry) => `${canonicalJson(entry)}\n`).join('');
}

describe('migrate', () => {
  test('is idempotent and records each version once', async () => {
    const store = await tracked(await freshStore());
    await store.migrate();
    await store.migrate();
    const pool = new pg.Pool({ connectionString: PG_URL });
    cleanups.push(() => pool.end());
    const { rows } = await pool.query(`SELECT version FROM ${store.schema}.migrations ORDER BY version`);
    expect(rows.map((row) => row.version)).toEqual([1, 2, 3]);
  });

  test('concurrent migrate() calls from separate pools all succeed on a new schema', async () => {
    const schema = randomSchema();
    const stores = Array.from({ length: 6 }, () => createPostgresStore({ connectionString: PG_URL, schema }));
    cleanups.push(async () => {
      for (const store of stores) await store.close();
      await dropSchema(schema);
    });
    await Promise.all(stores.map((store) => store.migrate()));
    const request = sampleRequest();
    await stores[0]!.createRequest(request, [sampleDraft()]);
    expect((await stores[5]!.getRequest(request.id))?.id).toBe(request.id);
  });

  test('rejects a schema name that is not a plain identifier', () => {
    expect(() => createPostgresStore({ schema: 'x"; DROP TABLE y; --' })).toThrow(/invalid schema name/);
    expect(() => createPostgresStore({ schema: 'a'.repeat(49) })).toThrow(/invalid schema name/);
  });
});

describe('round trips', () => {
  test('strings JSONB would mangle and fractional times come back exactly', async () => {
    const store = await tracked(await freshStore());
    const request = sampleRequest({
      reason: 'nul \u0000 and quote " and backslash \\ and emoji 😀',
      createdAt: 1767225600000.25,
      expiresAt: 1767225600000.75,
    });
    const draft = { ...sampleDraft('requested', 'detail with \u0000 and "quotes"'), at: 0.1 + 0.2 };
    await store.createRequest(request, [draft]);
    expect(await store.getRequest(request.id)).toEqual(request);
    const [entry] = await store.readAudit(0, 10);
    expect(entry?.detail).toBe(draft.detail);
    expect(entry?.at).toBe(0.1 + 0.2);
    expect(verifyAuditLog(await exportLog(store)).ok).toBe(true);
  });
});

describe('sweepExpired', () => {
  test('expires overdue pending requests by the database clock, with core-shaped records and audit', async () => {
    const store = await tracked(await freshStore());
    const overdue = sampleRequest({ expiresAt: Date.now() - 60_000 });
    const future = sampleRequest({ expiresAt: Date.now() + 600_000 });
    // Decided a second ago: its grant lifetime has not passed, so no sweeper closes it yet.
    const approved = sampleRequest({
      status: 'approved',
      expiresAt: Date.now() - 60_000,
      decidedAt: Date.now() - 1000,
    });
    for (const request of [overdue, future, approved]) await store.createRequest(request, []);

    expect(await store.sweepExpired({ limit: 10 })).toEqual([overdue.id]);
    expect(await store.getRequest(overdue.id)).toEqual({
      ...overdue,
      status: 'expired',
      version: 2,
      closedReason: 'no quorum before the deadline',
    });
    expect((await store.getRequest(future.id))?.status).toBe('pending');
    expect((await store.getRequest(approved.id))?.status).toBe('approved');
    const [entry] = await store.readAudit(0, 10);
    expect(entry).toMatchObject({
      type: 'expired',
      requestId: overdue.id,
      actor: overdue.actor,
      onBehalfOf: overdue.onBehalfOf,
      ruleId: overdue.ruleId,
      fingerprint: overdue.fingerprint,
      detail: 'no quorum before the deadline',
    });
    expect(Math.abs((entry?.at ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(await store.sweepExpired()).toEqual([]);
  });

  test('skips a stranded approval whose grant a process holds, without waiting, and closes it once free', async () => {
    const store = await tracked(await freshStore());
    const now = Date.now();
    const grant = sampleGrant({ issuedAt: now - 7_200_000, expiresAt: now - 7_140_000 });
    const request = sampleRequest({
      status: 'approved',
      decidedAt: now - 7_200_000,
      grantTtlMs: 60_000,
      grantId: grant.id,
    });
    await store.createRequest(request, []);
    await store.createGrant({ ...grant, requestId: request.id }, []);
    // The process running it, recording its outcome right now: it holds the grant row first.
    const holder = new pg.Client({ connectionString: PG_URL });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('BEGIN');
    await holder.query(
      `SELECT id FROM ${pg.escapeIdentifier(store.schema)}.grants WHERE id = $1 FOR UPDATE`,
      [grant.id],
    );
    expect(await store.sweepExpired()).toEqual([]);
    await holder.query('ROLLBACK');
    // The expired grant first, with core's lapseGrant() entry, then the approval.
    expect(await store.sweepExpired()).toEqual([grant.id, request.id]);
    expect((await store.getRequest(request.id))?.status).toBe('failed');
    expect((await store.readAudit(0, 10)).map((entry) => [entry.type, entry.grantId])).toEqual([
      ['revoked', grant.id],
      ['failed', grant.id],
    ]);
  });

  test('concurrent sweepers never expire one request twice', async () => {
    const store = await tracked(await freshStore());
    const others = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const other = createPostgresStore({ connectionString: PG_URL, schema: store.schema });
        cleanups.push(() => other.close());
        return other;
      }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const request = sampleRequest({ expiresAt: Date.now() - 1000 - i });
      ids.push(request.id);
      await store.createRequest(request, []);
    }
    const swept = (await Promise.all([store, ...others].map((s) => s.sweepExpired({ limit: 15 })))).flat();
    const rest = await store.sweepExpired({ limit: 100 });
    expect([...swept, ...rest].sort()).toEqual([...ids].sort());
    expect(await store.readAudit(0, 1000)).toHaveLength(40);
    expect(verifyAuditLog(await exportLog(store)).ok).toBe(true);
  });
});

describe('failure semantics', () => {
  test('a failed write rolls back and returns a usable client to the pool', async () => {
    // Its own application_name: other test files run beside this one on the shared server.
    const applicationName = randomSchema('cs_rollback');
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1, application_name: applicationName });
    cleanups.push(() => pool.end());
    const store = await tracked(createPostgresStore({ pool, schema: randomSchema(), notifications: false }));
    await store.migrate();
    const grant = sampleGrant();
    await store.createGrant(grant, [sampleDraft('granted')]);
    await expect(
      store.createGrant({ ...grant, tokenHash: 'other' }, [sampleDraft('granted')]),
    ).rejects.toThrow(/duplicate key/);
    // With max: 1 this reuses the client that just failed; an open aborted transaction would reject here.
    expect(await store.readAudit(0, 10)).toHaveLength(1);
    expect((await store.getGrantByTokenHash(grant.tokenHash))?.id).toBe(grant.id);
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE $1 AND application_name = $2',
      ['idle in transaction%', applicationName],
    );
    expect(rows[0].n).toBe(0);
  });

  test('a connection killed mid-transaction rejects, is destroyed, and the store keeps working', async () => {
    const victim = randomSchema('victim');
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1, application_name: victim });
    pool.on('error', () => {});
    cleanups.push(() => pool.end());
    const store = await tracked(createPostgresStore({ pool, schema: randomSchema(), notifications: false }));
    await store.migrate();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    cleanups.push(() => admin.end());
    const request = sampleRequest();
    await store.createRequest(request, []);
    // Hold the request row so the store's update blocks mid-transaction, then kill its backend.
    await admin.query('BEGIN');
    await admin.query(`SELECT 1 FROM ${store.schema}.requests WHERE id = $1 FOR UPDATE`, [request.id]);
    const update = store.updateRequest({ ...request, version: 2 }, [sampleDraft('decided')]).then(
      () => null,
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [victim],
    );
    await admin.query('ROLLBACK');
    expect(await update).toMatchObject({ code: '57P01' });
    expect((await store.getRequest(request.id))?.version).toBe(1);
    expect(await store.readAudit(0, 10)).toHaveLength(0);
    expect(await store.updateRequest({ ...request, version: 2 }, [sampleDraft('decided')])).not.toBeNull();
  });

  test('close() leaves a pool passed in open, and later calls reject', async () => {
    const pool = new pg.Pool({ connectionString: PG_URL });
    cleanups.push(() => pool.end());
    const store = createPostgresStore({ pool, schema: randomSchema() });
    await store.migrate();
    cleanups.push(() => dropSchema(store.schema));
    await store.subscribe?.(() => {});
    await store.close();
    await store.close();
    expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await expect(store.getRequest('req_x')).rejects.toThrow(/closed/);
  });
});
