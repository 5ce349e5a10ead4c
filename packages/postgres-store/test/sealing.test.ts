// Audit entries are queued with their write and sealed into the one chain in batches: nothing
// skipped, nothing sealed twice, every committed entry visible to readers, tampering detected.
import { type AuditEntry, canonicalJson, createCountersign, verifyAuditLog } from '@countersign/core';
import { sampleDraft, sampleGrant, sampleRequest } from '@countersign/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { entryParts } from '../src/audit-queue.js';
import { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../src/index.js';
import { killChildren, spawnChild } from './children.js';
import { dropSchema, freshStore, PG_URL } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A migrated store in a fresh schema, dropped after the test (after every store on it closed). */
async function first(options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const store = await freshStore({ notifications: false, ...options });
  cleanups.push(() => dropSchema(store.schema));
  cleanups.push(() => store.close());
  return store;
}

/** Another store instance, with its own pool, on the same schema. */
function another(schema: string, options: PostgresStoreOptions = {}): PostgresStore {
  const store = createPostgresStore({ connectionString: PG_URL, schema, notifications: false, ...options });
  cleanups.push(() => store.close());
  return store;
}

async function client(): Promise<pg.Client> {
  const db = new pg.Client({ connectionString: PG_URL });
  await db.connect();
  cleanups.push(() => db.end());
  return db;
}

async function count(db: pg.Client, schema: string, table: 'audit' | 'audit_queue'): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM ${schema}.${table}`);
  return rows[0].n;
}

async function readAll(store: PostgresStore): Promise<AuditEntry[]> {
  return store.readAudit(0, 100_000);
}

const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const originalQuery = proto.query;

/** The text of every statement any pg client sends from now on, until {@link restoreStatements}. */
function recordStatements(): string[] {
  const sent: string[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
    sent.push(text ?? '');
    return originalQuery.apply(this, args);
  };
  return sent;
}

function restoreStatements(): void {
  proto.query = originalQuery;
}

const details = (entries: AuditEntry[]) => entries.map((entry) => entry.detail);

async function until(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('sealing the queued audit entries', () => {
  test('writers on several connections and in a child process make one chain that verifies, each writer in order', async () => {
    const store = await first({ sealDelayMs: 2 });
    const stores = [
      store,
      another(store.schema, { sealDelayMs: 2 }),
      another(store.schema, { sealBatch: 3 }),
    ];
    const child = spawnChild('appender', {
      url: PG_URL,
      schema: store.schema,
      tag: 'child',
      writers: 4,
      entries: 25,
    });
    const expected: string[] = [];
    for (let w = 0; w < 4; w++) for (let i = 0; i < 25; i++) expected.push(`child ${w} ${i}`);
    await Promise.all(
      stores.flatMap((s, n) =>
        Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; i < 25; i++) {
            const detail = `store${n} ${w} ${i}`;
            expected.push(detail);
            await s.appendAudit([sampleDraft('decided', detail), sampleDraft('allowed', `${detail} second`)]);
            expected.push(`${detail} second`);
            // Readers seal too, racing the background sealers.
            if (i % 10 === 0) await s.auditHead();
          }
        }),
      ),
    );
    expect((await child.exited).code).toBe(0);
    const entries = await readAll(store);
    expect(entries).toHaveLength(expected.length);
    expect([...details(entries)].sort()).toEqual([...expected].sort());
    // One write's entries are consecutive; a writer's later write comes after its earlier one.
    for (const [i, entry] of entries.entries()) {
      if (entry.type === 'allowed') expect(entry.detail).toBe(`${entries[i - 1]?.detail} second`);
    }
    const position = new Map(entries.map((entry, i) => [entry.detail, i]));
    for (const tag of ['child', 'store0', 'store1', 'store2']) {
      for (let w = 0; w < 4; w++) {
        const order = Array.from({ length: 25 }, (_, i) => position.get(`${tag} ${w} ${i}`)!);
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
    }
    const cs = createCountersign({ store, policy: [] });
    expect(await cs.audit.verify()).toMatchObject({ ok: true, entries: expected.length });
    expect(verifyAuditLog(await cs.audit.export()).ok).toBe(true);
    expect(await count(await client(), store.schema, 'audit_queue')).toBe(0);
  }, 60_000);

  test('a write that commits after later ones were sealed is sealed after them, once, and nothing waits for it', async () => {
    const store = await first({ sealDelayMs: false });
    const db = await client();
    // A writer holding its transaction open, its entry queued with the lowest id.
    await db.query('BEGIN');
    const [a, b, c] = entryParts(sampleDraft('decided', 'late'));
    const { rows } = await db.query(
      `INSERT INTO ${store.schema}.audit_queue (a, b, c) VALUES ($1, $2, $3) RETURNING id`,
      [[a], [b], [c]],
    );
    const lateId = Number(rows[0].id);
    for (const detail of ['e1', 'e2', 'e3']) await store.appendAudit([sampleDraft('decided', detail)]);
    const observer = await client();
    const queued = await observer.query(`SELECT id FROM ${store.schema}.audit_queue ORDER BY id`);
    expect(queued.rows.map((row) => Number(row.id) > lateId)).toEqual([true, true, true]);

    expect(await store.seal()).toBe(3);
    expect(details(await readAll(store))).toEqual(['e1', 'e2', 'e3']);
    await db.query('COMMIT');
    expect(await store.auditHead()).toMatchObject({ seq: 4 });
    const entries = await readAll(store);
    expect(details(entries)).toEqual(['e1', 'e2', 'e3', 'late']);
    expect(entries.map((entry) => entry.seq)).toEqual([1, 2, 3, 4]);
    expect(await store.seal()).toBe(0);
    const cs = createCountersign({ store, policy: [] });
    expect(await cs.audit.verify()).toMatchObject({ ok: true, entries: 4 });
  });

  test('entries a killed process queued and never sealed are sealed by another store', async () => {
    const store = await first({ sealDelayMs: false });
    const child = spawnChild('appender', {
      url: PG_URL,
      schema: store.schema,
      tag: 'crashed',
      writers: 2,
      entries: 10,
      crash: true,
    });
    await child.waitFor((event) => event.event === 'appended');
    expect((await child.exited).signal).toBe('SIGKILL');
    const db = await client();
    expect(await count(db, store.schema, 'audit_queue')).toBe(20);
    expect(await count(db, store.schema, 'audit')).toBe(0);

    const other = another(store.schema);
    const entries = await readAll(other);
    expect(entries).toHaveLength(20);
    expect(await count(db, store.schema, 'audit_queue')).toBe(0);
    const cs = createCountersign({ store: other, policy: [] });
    expect(await cs.audit.verify()).toMatchObject({ ok: true, entries: 20 });
  });

  test('migrate() seals what a stopped process left queued', async () => {
    const store = await first({ sealDelayMs: false });
    const pool = new pg.Pool({ connectionString: PG_URL });
    cleanups.push(() => pool.end());
    // Its pool ends without close(): the store never seals, like a process that stopped.
    const stopped = createPostgresStore({
      pool,
      schema: store.schema,
      notifications: false,
      sealDelayMs: false,
    });
    await stopped.appendAudit([sampleDraft('decided', 'left behind')]);
    const db = await client();
    expect(await count(db, store.schema, 'audit')).toBe(0);
    await another(store.schema).migrate();
    expect(await count(db, store.schema, 'audit')).toBe(1);
    expect(await count(db, store.schema, 'audit_queue')).toBe(0);
  });

  test('readAudit and auditHead of any store include every write that resolved, sealing first', async () => {
    const store = await first({ sealDelayMs: false });
    const reader = another(store.schema, { sealDelayMs: false });
    const db = await client();
    await store.appendAudit([sampleDraft('decided', 'x')]);
    expect(await count(db, store.schema, 'audit')).toBe(0);
    expect(await reader.auditHead()).toMatchObject({ seq: 1 });
    await store.appendAudit([sampleDraft('decided', 'y'), sampleDraft('decided', 'z')]);
    expect(details(await reader.readAudit(1, 10))).toEqual(['y', 'z']);
    // A full page needs no seal: anything queued comes after it.
    await store.appendAudit([sampleDraft('decided', 'w')]);
    expect(details(await reader.readAudit(0, 2))).toEqual(['x', 'y']);
    expect(await count(db, store.schema, 'audit_queue')).toBe(1);
    expect(details(await reader.readAudit(2, 2))).toEqual(['z', 'w']);
  });

  test('close() seals what the store queued', async () => {
    const store = await first({ sealDelayMs: false });
    for (const detail of ['a', 'b', 'c']) await store.appendAudit([sampleDraft('decided', detail)]);
    const db = await client();
    expect(await count(db, store.schema, 'audit_queue')).toBe(3);
    await store.close();
    expect(await count(db, store.schema, 'audit_queue')).toBe(0);
    expect(await count(db, store.schema, 'audit')).toBe(3);
  });

  test('writes are sealed in the background soon after, reported to onSeal', async () => {
    const events: { entries: number; seq: number; waited: number[] }[] = [];
    const store = await first({
      sealDelayMs: 5,
      onSeal: (event) => events.push({ entries: event.entries, seq: event.head.seq, waited: event.waitedMs }),
    });
    const db = await client();
    await store.appendAudit([sampleDraft('decided', 'a'), sampleDraft('decided', 'b')]);
    await until(async () => (await count(db, store.schema, 'audit')) === 2);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ entries: 2, seq: 2 });
    expect(events[0]!.waited).toHaveLength(1);
    expect(events[0]!.waited[0]).toBeGreaterThan(0);
    expect(events[0]!.waited[0]).toBeLessThan(5_000);
  });

  test('a background seal that finds another sealer at work tries again later', async () => {
    const store = await first({ sealDelayMs: 5 });
    const db = await client();
    await db.query('BEGIN');
    await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [0x6374, store.schema]);
    await store.appendAudit([sampleDraft('decided', 'a')]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const observer = await client();
    expect(await count(observer, store.schema, 'audit')).toBe(0);
    await db.query('COMMIT');
    await until(async () => (await count(observer, store.schema, 'audit')) === 1);
  });

  test("a due seal rides on the store's next write: no seal statement of its own, the earlier write chained", async () => {
    const store = await first({ sealDelayMs: 20 });
    const db = await client();
    const sent = recordStatements();
    try {
      await store.appendAudit([sampleDraft('decided', 'a')]);
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(await count(db, store.schema, 'audit')).toBe(0);
      await store.appendAudit([sampleDraft('decided', 'b')]);
      expect(await count(db, store.schema, 'audit')).toBeGreaterThanOrEqual(1);
      expect(sent.filter((text) => text.startsWith('SELECT * FROM') && text.includes('seal_audit('))).toEqual(
        [],
      );
    } finally {
      restoreStatements();
    }
    expect(details(await readAll(store))).toEqual(['a', 'b']);
  });

  test('a write carrying a seal while another sealer holds the lock commits, and its seal is due again', async () => {
    const store = await first({ sealDelayMs: 5 });
    const db = await client();
    await db.query('BEGIN');
    await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [0x6374, store.schema]);
    await store.appendAudit([sampleDraft('decided', 'a')]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await store.appendAudit([sampleDraft('decided', 'b')]);
    const observer = await client();
    expect(await count(observer, store.schema, 'audit_queue')).toBe(2);
    expect(await count(observer, store.schema, 'audit')).toBe(0);
    await db.query('COMMIT');
    await until(async () => (await count(observer, store.schema, 'audit')) === 2);
    expect(details(await readAll(store))).toEqual(['a', 'b']);
  });

  test('a due seal never rides on an approval or a claim (an action waits on their commit): the next other write carries it', async () => {
    const store = await first({ sealDelayMs: 50 });
    const sent = recordStatements();
    // The write statements sent since `from` (a seal statement of the store's own is not one).
    const writesSince = (from: number) =>
      sent.slice(from).filter((text) => !text.startsWith('SELECT * FROM'));
    const carries = (texts: string[]) => texts.length === 1 && texts[0]!.includes('seal_audit(');
    try {
      const request = sampleRequest({ quorum: 1 });
      await store.createRequest(request, [sampleDraft('requested', 'opened')]);
      await new Promise((resolve) => setTimeout(resolve, 70));
      const approved = {
        ...request,
        version: 2,
        status: 'approved' as const,
        decidedAt: Date.now(),
        decisions: [
          { approver: 'user:bob', outcome: 'approve' as const, at: Date.now(), comment: null, via: 'test' },
        ],
      };
      let from = sent.length;
      expect(await store.updateRequest(approved, [sampleDraft('approved', 'decided')])).not.toBeNull();
      expect(writesSince(from)).toHaveLength(1);
      expect(carries(writesSince(from))).toBe(false);
      from = sent.length;
      const claimed = await store.claimApproved!(
        request.id,
        {
          fingerprint: request.fingerprint,
          sessionId: request.sessionId,
          actor: request.actor,
          onBehalfOf: request.onBehalfOf,
          reason: request.reason,
          ruleId: request.ruleId,
          action: request.action,
          now: Date.now(),
        },
        sampleGrant({ requestId: request.id, fingerprint: request.fingerprint }),
        [sampleDraft('granted', 'claimed')],
      );
      expect(claimed?.grantId).not.toBeNull();
      expect(writesSince(from)).toHaveLength(1);
      expect(carries(writesSince(from))).toBe(false);
      from = sent.length;
      await store.appendAudit([sampleDraft('decided', 'later')]);
      // Unless the store's own seal ran meanwhile (a slow host), the due seal rode on this write.
      const ownSeal = sent.slice(from).some((text) => text.startsWith('SELECT * FROM'));
      if (!ownSeal) expect(carries(writesSince(from))).toBe(true);
    } finally {
      restoreStatements();
    }
    expect(details(await readAll(store))).toEqual(['opened', 'decided', 'claimed', 'later']);
  });

  test('a quiet store seals on its own after the due seal found no write to ride on', async () => {
    const store = await first({ sealDelayMs: 5 });
    const db = await client();
    await store.appendAudit([sampleDraft('decided', 'a')]);
    await until(async () => (await count(db, store.schema, 'audit')) === 1);
  });

  test('edits, deletions, reorders and truncation of sealed entries fail verification', async () => {
    const store = await first();
    for (let i = 1; i <= 5; i++) await store.appendAudit([sampleDraft('decided', `entry ${i}`)]);
    const cs = createCountersign({ store, policy: [] });
    const head = await store.auditHead();
    expect(await cs.audit.verify({ head: head! })).toMatchObject({ ok: true, entries: 5 });
    const db = await client();
    const table = `${store.schema}.audit`;
    const original = (await db.query(`SELECT seq, entry::text AS entry FROM ${table} ORDER BY seq`)).rows;
    const restore = async () => {
      await db.query(`DELETE FROM ${table}`);
      for (const row of original) {
        await db.query(`INSERT INTO ${table} (seq, hash, entry) VALUES ($1, $2, $3::json)`, [
          row.seq,
          JSON.parse(row.entry).hash,
          row.entry,
        ]);
      }
      expect((await cs.audit.verify({ head: head! })).ok).toBe(true);
    };

    await db.query(
      `UPDATE ${table} SET entry = replace(entry::text, 'entry 3', 'entry X')::json WHERE seq = 3`,
    );
    expect(await cs.audit.verify()).toMatchObject({ ok: false, brokenAt: 3 });
    await restore();

    await db.query(`DELETE FROM ${table} WHERE seq = 3`);
    expect(await cs.audit.verify()).toMatchObject({ ok: false });
    await restore();

    // Entries 2 and 3 swapped, each keeping its own seq, hash and link.
    await db.query(`UPDATE ${table} SET seq = -seq WHERE seq IN (2, 3)`);
    await db.query(`UPDATE ${table} SET seq = 5 + seq WHERE seq IN (-2, -3)`);
    const swapped = await db.query(`SELECT entry->>'detail' AS detail FROM ${table} ORDER BY seq`);
    expect(swapped.rows.map((row) => row.detail)).toEqual([
      'entry 1',
      'entry 3',
      'entry 2',
      'entry 4',
      'entry 5',
    ]);
    expect(await cs.audit.verify()).toMatchObject({ ok: false, brokenAt: 2 });
    await restore();

    // Truncated, head moved back with it: only a head kept elsewhere tells.
    await db.query(`DELETE FROM ${table} WHERE seq = 5`);
    const fourth = JSON.parse(original[3].entry) as AuditEntry;
    await db.query(`UPDATE ${store.schema}.audit_head SET seq = 4, hash = $1`, [fourth.hash]);
    expect((await cs.audit.verify()).ok).toBe(true);
    expect(await cs.audit.verify({ head: head! })).toMatchObject({ ok: false, brokenAt: 5 });
    const exported = original
      .slice(0, 4)
      .map((row) => `${canonicalJson(JSON.parse(row.entry))}\n`)
      .join('');
    expect(verifyAuditLog(exported, { head: head! }).ok).toBe(false);
  });
});
