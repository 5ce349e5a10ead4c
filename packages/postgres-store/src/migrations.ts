// The schema migrations, applied in order once each, safe to run from many processes at once.
import { GENESIS_HASH } from '@countersign/core';
import type pg from 'pg';

export interface Migration {
  version: number;
  name: string;
  /** Statements run in one transaction; `s` is the quoted schema name. */
  up(s: string): string[];
}

/**
 * Append only: a released migration is never edited, a change is a new version. Times are
 * milliseconds since the epoch as `double precision`, exactly the numbers core passes in.
 * Records are `json`, not `jsonb`, so they read back byte for byte as core wrote them
 * (`jsonb` rejects `\u0000` in strings and reorders keys).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'requests, grants and the audit chain',
    up: (s) => [
      `CREATE TABLE ${s}.requests (
        id text PRIMARY KEY,
        actor text NOT NULL,
        idempotency_key text,
        status text NOT NULL,
        version integer NOT NULL,
        expires_at double precision NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        record json NOT NULL,
        CONSTRAINT requests_idempotency_key UNIQUE (actor, idempotency_key)
      )`,
      `CREATE INDEX requests_status_expires_at ON ${s}.requests (status, expires_at)`,
      `CREATE TABLE ${s}.grants (
        id text PRIMARY KEY,
        token_hash text NOT NULL UNIQUE,
        fingerprint text NOT NULL,
        session_id text NOT NULL,
        request_id text,
        actor text NOT NULL,
        rule_id text NOT NULL,
        issued_at double precision NOT NULL,
        expires_at double precision NOT NULL,
        consumed_at double precision,
        revoked_at double precision
      )`,
      `CREATE INDEX grants_expires_at ON ${s}.grants (expires_at)`,
      `CREATE TABLE ${s}.audit (
        seq bigint PRIMARY KEY,
        hash text NOT NULL,
        entry json NOT NULL
      )`,
      `CREATE TABLE ${s}.audit_head (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        seq bigint NOT NULL,
        hash text NOT NULL
      )`,
      `INSERT INTO ${s}.audit_head (seq, hash) VALUES (0, '${GENESIS_HASH}')`,
    ],
  },
  {
    version: 2,
    name: 'reuse windows',
    up: (s) => [
      `CREATE TABLE ${s}.reuse_windows (
        id text PRIMARY KEY,
        request_id text NOT NULL,
        rule_id text NOT NULL,
        scope text NOT NULL,
        match text NOT NULL,
        risk text NOT NULL,
        created_at double precision NOT NULL,
        expires_at double precision NOT NULL,
        max_uses integer NOT NULL,
        uses integer NOT NULL,
        revoked_at double precision
      )`,
      `CREATE INDEX reuse_windows_lookup ON ${s}.reuse_windows (scope, match, rule_id, expires_at)`,
    ],
  },
  {
    version: 3,
    name: 'audit queue, sealed into the chain in batches; unrevoked grants by expiry',
    up: (s) => [
      // One row per write: its drafts' canonical JSON cut around prevHash and seq (see entryParts).
      // The id sequence keeps CACHE 1, so ids follow nextval order across sessions: a write that
      // starts after another committed gets a higher id, and sealing in id order keeps that order.
      // Rows come and go all the time: vacuum it by row count, not by a fraction of a tiny table.
      `CREATE TABLE ${s}.audit_queue (
        id bigserial PRIMARY KEY,
        a text[] NOT NULL,
        b text[] NOT NULL,
        c text[] NOT NULL,
        queued_at timestamptz NOT NULL DEFAULT clock_timestamp()
      ) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)`,
      `CREATE INDEX grants_unrevoked_expires_at ON ${s}.grants (expires_at, id) WHERE revoked_at IS NULL`,
      sealFunction(s),
    ],
  },
];

/**
 * The sealer, one call: the schema's seal lock (waited for, or tried: `locked` false when another
 * sealer holds it), then, in a snapshot taken after it (every statement of a volatile function
 * takes its own), up to `max_writes` queued rows in id order are chained after the head (locked
 * FOR UPDATE): each entry's canonical JSON completed with its seq and previous hash and hashed
 * with `sha256()` (PostgreSQL 11 or later), inserted into `audit`; the head moved and the rows
 * deleted, all in the caller's one transaction. `seen` < `max_writes` means every row visible
 * once the lock was held is chained. `waited_ms`: per row, from its insert to now.
 */
function sealFunction(s: string): string {
  return `CREATE FUNCTION ${s}.seal_audit(lock_class integer, lock_key integer, max_writes integer, wait boolean,
      OUT locked boolean, OUT seen integer, OUT entries integer, OUT head_seq bigint, OUT head_hash text,
      OUT waited_ms double precision[])
    LANGUAGE plpgsql AS $seal$
    DECLARE
      ids bigint[];
      w record;
      body text;
      seqs bigint[] := '{}';
      hashes text[] := '{}';
      lines text[] := '{}';
      taken integer;
    BEGIN
      entries := 0;
      seen := 0;
      IF wait THEN
        PERFORM pg_advisory_xact_lock(lock_class, lock_key);
      ELSIF NOT pg_try_advisory_xact_lock(lock_class, lock_key) THEN
        locked := false;
        RETURN;
      END IF;
      locked := true;
      SELECT array_agg(q.id ORDER BY q.id) INTO ids
        FROM (SELECT id FROM ${s}.audit_queue ORDER BY id LIMIT max_writes) AS q;
      seen := coalesce(cardinality(ids), 0);
      IF seen = 0 THEN
        RETURN;
      END IF;
      SELECT h.seq, h.hash INTO head_seq, head_hash FROM ${s}.audit_head AS h FOR UPDATE;
      FOR w IN SELECT q.a, q.b, q.c FROM ${s}.audit_queue AS q WHERE q.id = ANY (ids) ORDER BY q.id LOOP
        FOR i IN 1 .. cardinality(w.a) LOOP
          head_seq := head_seq + 1;
          body := w.a[i] || head_hash || w.b[i] || head_seq::text || w.c[i];
          head_hash := encode(sha256(convert_to(body, 'UTF8')), 'hex');
          entries := entries + 1;
          seqs[entries] := head_seq;
          hashes[entries] := head_hash;
          lines[entries] := left(body, -1) || ',"hash":"' || head_hash || '"}';
        END LOOP;
      END LOOP;
      INSERT INTO ${s}.audit (seq, hash, entry)
        SELECT u.seq, u.hash, u.line::json FROM unnest(seqs, hashes, lines) AS u(seq, hash, line);
      UPDATE ${s}.audit_head SET seq = head_seq, hash = head_hash;
      WITH d AS (DELETE FROM ${s}.audit_queue AS q WHERE q.id = ANY (ids) RETURNING q.id, q.queued_at)
      SELECT count(*), array_agg(extract(epoch FROM clock_timestamp() - d.queued_at) * 1000 ORDER BY d.id)
        INTO taken, waited_ms FROM d;
      -- Only a sealer deletes queued rows, and it holds the lock: anything else is tampering.
      IF taken <> seen THEN
        RAISE EXCEPTION 'audit_queue changed while sealing: % of % rows left', taken, seen;
      END IF;
    END
    $seal$`;
}

/** First key of the two-key advisory lock that serialises migrations: "cs" in ASCII. */
const MIGRATION_LOCK_CLASS = 0x6373;

/**
 * Applies the migrations this database lacks, in order, inside one transaction that holds an
 * advisory lock keyed by the schema, so concurrent callers in any process wait and then find
 * nothing left to do.
 */
export async function runMigrations(
  client: pg.ClientBase,
  schema: string,
  quoted: string,
): Promise<number[]> {
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${quoted}.migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`,
  );
  const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${quoted}.migrations`);
  const applied = new Set(rows.map((row) => row.version));
  const ran: number[] = [];
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.up(quoted)) await client.query(statement);
    await client.query(`INSERT INTO ${quoted}.migrations (version, name) VALUES ($1, $2)`, [
      migration.version,
      migration.name,
    ]);
    ran.push(migration.version);
  }
  return ran;
}
