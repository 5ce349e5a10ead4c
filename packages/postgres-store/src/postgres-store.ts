// createPostgresStore(): the Store contract on PostgreSQL, one statement per write where one statement does, audit
// entries queued with their write and sealed into the one chain in batches, and its own sweeper.
import type { AuditEntry, Store } from '@countersign/core';
import pg from 'pg';
import type { PgContext } from './context.js';
import { Database } from './database.js';
import { grantMethods } from './grants.js';
import { NotificationListener } from './listener.js';
import { runMigrations } from './migrations.js';
import type { PostgresStoreOptions, SweepOptions } from './options.js';
import { requestMethods } from './requests.js';
import { reuseWindowMethods } from './reuse-windows.js';
import { Sealer } from './sealer.js';
import { sweepExpired } from './sweeper.js';
import { write } from './write.js';

export type { PostgresStoreOptions, SealEvent, SweepOptions } from './options.js';

/** A countersign `Store` on PostgreSQL, plus what only a database can do. */
export interface PostgresStore extends Store {
  readonly name: 'postgres';
  /** The schema the tables live in. */
  readonly schema: string;
  /** Creates the schema and applies pending migrations. Idempotent and safe to call from many processes at once. */
  migrate(): Promise<void>;
  /**
   * Closes, by the DATABASE clock, what core's `sweep()` closes, as core's `lapse()` rules:
   * pending requests past their deadline, and approvals whose grant lifetime has passed with no
   * outcome recorded (never claimed: expired; action started: failed, grant revoked). One
   * transaction that skips rows other sweepers or processes hold, writing the same records and
   * audit as core. First it revokes up to `limit` grants that expired unrevoked, with core's
   * `lapseGrant()` entry (their consumption time recorded), so a stranded approval's grant is
   * closed that way. Also deletes up to `limit` reuse windows that have ended. Returns the ids it
   * closed: the grants it revoked (`grt_…`) first, then the requests.
   */
  sweepExpired(options?: SweepOptions): Promise<string[]>;
  /**
   * Chains every audit entry queued before the call (waiting for another sealer to finish, if
   * one is running) and returns how many this call chained. Writes queue their entries and a
   * store seals them soon after in the background; call this where an entry must be
   * tamper-evident now.
   */
  seal(): Promise<number>;
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/**
 * Creates a store that many processes can share. Call `migrate()` once before use (at deploy or
 * startup; it is idempotent). Every method is atomic (one statement, or one transaction for the
 * sweeper and batches): a lost connection or a database restart rolls back what was in flight
 * and the error propagates, so core fails closed. A write queues its audit entries in the same
 * statement; they are chained (sealed) in batches after it, see the README.
 */
export function createPostgresStore(options: PostgresStoreOptions = {}): PostgresStore {
  const schema = options.schema ?? 'countersign';
  if (!NAME_PATTERN.test(schema)) {
    throw new Error(
      `[countersign] [postgres] invalid schema name ${JSON.stringify(schema)}: use letters, digits and _, at most 48 characters, not starting with a digit`,
    );
  }
  const s = pg.escapeIdentifier(schema);
  const db = new Database(options);
  const channel = `${schema}_requests`;
  const listener =
    (options.notifications ?? true)
      ? new NotificationListener(db.pool.options, channel, db.report, (pid) => db.backends.has(pid))
      : null;
  const ctx: PgContext = {
    schema,
    s,
    channel,
    db,
    sealer: new Sealer(db, schema, s, options),
    delivered: listener === null ? () => {} : (ids) => listener.deliver(ids),
  };
  let closing: Promise<void> | null = null;

  const selectAudit = async (afterSeq: number, limit: number): Promise<AuditEntry[]> => {
    const { rows } = await db
      .queryable()
      .query(`SELECT entry FROM ${s}.audit WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit]);
    return rows.map((row) => row.entry as AuditEntry);
  };

  const store: PostgresStore = {
    name: 'postgres',
    schema,
    ...requestMethods(ctx),
    ...grantMethods(ctx),
    ...reuseWindowMethods(ctx),

    async migrate() {
      await db.transaction(async (client) => {
        await runMigrations(client, schema, s);
      });
      // Entries a stopped process queued but never sealed: chained now rather than at the next write.
      await ctx.sealer.drain();
    },

    async appendAudit(audit) {
      if (audit.length === 0) return;
      await write(ctx, [audit], () => ({ ctes: [], gates: ['true'], result: 'NULL' }));
    },

    async readAudit(afterSeq, limit) {
      const page = await selectAudit(afterSeq, limit);
      // A full page ends below the head: anything still queued would come after it.
      if (page.length >= limit) return page;
      await ctx.sealer.drain();
      return selectAudit(afterSeq, limit);
    },

    async auditHead() {
      await ctx.sealer.drain();
      return ctx.sealer.head(db.queryable());
    },

    async seal() {
      db.assertOpen();
      return ctx.sealer.drain();
    },

    sweepExpired: (sweep?: SweepOptions) => sweepExpired(ctx, sweep),

    async close() {
      closing ??= (async () => {
        db.close();
        await ctx.sealer.stop();
        await listener?.stop();
        await db.end();
      })();
      await closing;
    },
  };
  if (listener !== null) {
    const subscribe: NonNullable<Store['subscribe']> = async (fn) => {
      db.assertOpen();
      return listener.subscribe(fn);
    };
    store.subscribe = subscribe;
  }
  return store;
}
