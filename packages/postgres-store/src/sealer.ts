// Sealer: chains the audit entries writes queued, in batches, by `seal_audit()`; in the background after writes, and on demand.
import type { AuditHead } from '@countersign/core';
import type pg from 'pg';
import type { Database } from './database.js';
import type { PostgresStoreOptions } from './options.js';

/** First key of the two-key advisory lock one sealer per schema holds: "ct" in ASCII ("cs" is migrations'). */
const SEAL_LOCK_CLASS = 0x6374;

/** The head row as stored: seq 0 and the genesis hash before the first entry. */
interface StoredHead {
  seq: number;
  hash: string;
}

/** What `seal_audit()` returns, one row. */
export interface SealRow {
  locked: boolean;
  seen: number;
  entries: number;
  head_seq: string | number | null;
  head_hash: string | null;
  waited_ms: number[] | null;
}

/** A due seal a write took to run in its own statement: how many writes the store had made before it. */
export interface CarriedSeal {
  readonly writes: number;
}

/**
 * A due seal no write carried runs on its own this many `delay`s after it fell due: long enough
 * for a busy store's next write to carry it, so seal statements of their own are for quiet stores.
 */
const FALL_BACK_DELAYS = 4;

/** Most queued writes a seal carried by a write chains, so no write is slowed by a long seal; a drain follows a full one. */
const CARRIED_BATCH = 100;

export class Sealer {
  private readonly delay: number | null;
  private readonly batch: number;
  private readonly onSeal: NonNullable<PostgresStoreOptions['onSeal']> | null;
  /** Until a seal is due, then until the seal of its own that runs if no write carried it. */
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** A seal is due: the store's next write carries it (`carry()`), or the timer's own seal runs. */
  private due = false;
  private background: Promise<void> | null = null;
  /** A write resolved while the background seal ran, maybe after its snapshot: seal again. */
  private again = false;
  /** Writes that queued entries, and how many of them a completed seal is known to cover. */
  private writes = 0;
  private sealedWrites = 0;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    /** The schema, quoted for SQL. */
    private readonly s: string,
    options: PostgresStoreOptions,
  ) {
    const delay = options.sealDelayMs ?? 10;
    this.delay = delay === false ? null : Math.max(0, delay);
    this.batch = Math.max(1, Math.floor(options.sealBatch ?? 1_000));
    this.onSeal = options.onSeal ?? null;
  }

  /**
   * After a write that queued entries: a seal is due `delay` ms later for every write until it
   * runs. The store's next write carries a due seal in its own statement (no statement of its
   * own); if none comes within `FALL_BACK_DELAYS` × `delay` ms more, the seal runs on its own. If a seal is
   * running, another follows it (its snapshot may predate this write). A seal that finds another
   * sealer at work tries again later, since that sealer may have started before this write
   * committed. A failed seal is reported and retried a second later; the entries stay queued,
   * durable, for any sealer.
   */
  queued(): void {
    this.writes += 1;
    this.schedule(this.delay);
  }

  /**
   * For a write about to be sent: the SQL of a scalar expression that runs the due seal in the
   * write's statement (its result goes to `carried()`), or null when no seal is due.
   */
  carry(add: (value: unknown) => string): { sql: string; seal: CarriedSeal } | null {
    if (!this.due || this.stopped) return null;
    this.due = false;
    const sql = `(SELECT row_to_json(z) FROM ${this.s}.seal_audit(${add(SEAL_LOCK_CLASS)}::integer,
      hashtext(${add(this.schema)}::text), ${add(Math.min(this.batch, CARRIED_BATCH))}::integer, false) AS z)`;
    return { sql, seal: { writes: this.writes } };
  }

  /**
   * What a carried seal did (`row`), or null when its write failed, which rolled it back: on
   * failure, or when another sealer held the lock, the seal is due again; a full batch drains now.
   */
  carried(seal: CarriedSeal, row: SealRow | null): void {
    if (row !== null) this.report(row);
    if (row === null || !row.locked) {
      this.due = true;
      if (this.timer === null) this.fallBack();
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (row.seen >= Math.min(this.batch, CARRIED_BATCH)) {
      this.runBackground();
      return;
    }
    this.sealedWrites = Math.max(this.sealedWrites, seal.writes);
    if (this.writes > seal.writes) this.schedule(this.delay);
  }

  /**
   * Seals until every row queued before the call is chained, waiting for other sealers. Once a
   * batch comes back full it notes the newest queued id and stops when none up to it is left, so
   * writers that queue faster than one sealer chains never keep a reader here.
   */
  async drain(): Promise<number> {
    const writes = this.writes;
    let sealed = 0;
    let top: string | null = null;
    for (;;) {
      const { done, entries } = await this.sealOnce(true);
      sealed += entries;
      if (done) break;
      top ??= (
        await this.db.pool.query<{ top: string | null }>(`SELECT max(id) AS top FROM ${this.s}.audit_queue`)
      ).rows[0]!.top;
      if (top === null) break;
      const { rows } = await this.db.pool.query<{ left: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${this.s}.audit_queue WHERE id <= $1) AS left`,
        [top],
      );
      if (!rows[0]!.left) break;
    }
    this.sealedWrites = Math.max(this.sealedWrites, writes);
    return sealed;
  }

  /** The chain's head, or null before the first entry. */
  async head(db: pg.Pool | pg.PoolClient): Promise<AuditHead | null> {
    const head = await this.readHead(db);
    return head.seq === 0 ? null : head;
  }

  /** No more background seals; what this store queued is sealed now, which shortens its unsealed window. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.background;
    // What this store queued is durable either way.
    if (this.writes > this.sealedWrites) {
      try {
        await this.drain();
      } catch (error) {
        this.db.report(error);
      }
    }
  }

  private async readHead(db: pg.Pool | pg.PoolClient): Promise<StoredHead> {
    const { rows } = await db.query<{ seq: string; hash: string }>(
      `SELECT seq, hash FROM ${this.s}.audit_head`,
    );
    if (!rows[0])
      throw new Error(`[countersign] [postgres] ${this.schema}.audit_head is empty; run migrate()`);
    return { seq: Number(rows[0].seq), hash: rows[0].hash };
  }

  /**
   * One seal: `seal_audit()` (migration 3) in its own transaction, waiting for the seal lock or
   * skipping when another sealer holds it. `done` when it saw no more rows than it could take.
   */
  private async sealOnce(wait: boolean): Promise<{ locked: boolean; done: boolean; entries: number }> {
    const { rows } = await this.db.pool.query<SealRow>(
      `SELECT * FROM ${this.s}.seal_audit($1, hashtext($2), $3, $4)`,
      [SEAL_LOCK_CLASS, this.schema, this.batch, wait],
    );
    const row = rows[0]!;
    this.report(row);
    return { locked: row.locked, done: row.seen < this.batch, entries: row.entries };
  }

  private report(row: SealRow): void {
    if (row.entries === 0 || this.onSeal === null) return;
    try {
      this.onSeal({
        entries: row.entries,
        head: { seq: Number(row.head_seq), hash: row.head_hash ?? '' },
        waitedMs: row.waited_ms ?? [],
      });
    } catch (error) {
      this.db.report(error);
    }
  }

  /** A seal due `delay` ms from now. */
  private schedule(delay: number | null): void {
    if (delay === null || this.stopped || this.timer !== null || this.due) return;
    if (this.background !== null) {
      this.again = true;
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.due = true;
      this.fallBack();
    }, delay);
    // Queued entries are durable: a pending seal does not keep the process alive.
    this.timer.unref?.();
  }

  /** The due seal on its own, `FALL_BACK_DELAYS` delays from now, unless a write carries it first. */
  private fallBack(): void {
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (!this.due) return;
        this.due = false;
        this.runBackground();
      },
      FALL_BACK_DELAYS * (this.delay ?? 0),
    );
    this.timer.unref?.();
  }

  /** Seals on its own, in a statement of its own, until done or another sealer holds the lock. */
  private runBackground(): void {
    if (this.stopped || this.background !== null) {
      this.again = true;
      return;
    }
    this.again = false;
    const writes = this.writes;
    let retry: number | null = null;
    this.background = (async () => {
      for (;;) {
        const { locked, done } = await this.sealOnce(false);
        if (!locked) {
          this.again = true;
          return;
        }
        if (done) break;
      }
      this.sealedWrites = Math.max(this.sealedWrites, writes);
    })()
      .catch((error: unknown) => {
        this.db.report(error);
        retry = Math.max(1_000, this.delay ?? 0);
      })
      .finally(() => {
        this.background = null;
        if (retry !== null) this.schedule(retry);
        else if (this.again) this.schedule(this.delay);
      });
  }
}
