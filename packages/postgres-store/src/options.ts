// The PostgreSQL store's options and what its callbacks receive.
import type { AuditHead } from '@countersign/core';
import type pg from 'pg';

export interface PostgresStoreOptions {
  /** A pool you own: the store never ends it. Give it an `'error'` handler, as for any pg pool. */
  pool?: pg.Pool | undefined;
  /** Used when no `pool` is given; the store creates and ends its own pool. Default: the `PG*` env vars. */
  connectionString?: string | undefined;
  /** Schema holding the tables, created by `migrate()`. Letters, digits and `_`, at most 48. Default `'countersign'`. */
  schema?: string | undefined;
  /**
   * LISTEN for changes on a dedicated connection so waiting guards wake at once. Default true.
   * Set false behind PgBouncer in transaction mode, where LISTEN does not work; guards then
   * rely on core's `pollInterval`. Writes always NOTIFY, for other processes that listen.
   */
  notifications?: boolean | undefined;
  /** Background errors: the notification connection dropping, an idle pooled client failing, a background seal failing. */
  onError?: ((error: unknown) => void) | undefined;
  /**
   * Milliseconds from a write until a seal of its queued audit entries falls due; writes meanwhile
   * join that seal. The store's next write carries a due seal in its own statement; without one,
   * the seal runs on its own 4 × this later. Default 10. Until sealed, entries are durable but not
   * yet tamper-evident.
   * `false`: this store never seals in the background, only in `seal()`, when the chain is read
   * (`readAudit`, `auditHead`), in `migrate()` and `close()`; another store sharing the schema may.
   */
  sealDelayMs?: number | false | undefined;
  /** Most queued writes one seal statement chains. Default 1,000. */
  sealBatch?: number | undefined;
  /**
   * Prepare each kind of write once per connection (the text is the same for every call of one
   * method), so the server does not parse and plan it again on every call. Default true. Set
   * false behind a transaction-pooling proxy that does not track prepared statements (PgBouncer
   * before 1.21, or without `max_prepared_statements`).
   */
  preparedStatements?: boolean | undefined;
  /** Called after each seal by this store that chained entries: for monitoring how long entries wait. */
  onSeal?: ((event: SealEvent) => void) | undefined;
}

/** One seal statement's work, reported to `onSeal`. */
export interface SealEvent {
  /** Entries chained. */
  entries: number;
  /** The chain's head after them. */
  head: AuditHead;
  /**
   * Per write sealed, in chain order: milliseconds from its statement inserting its entries to
   * this seal, both by the database clock (so it includes the write's own commit).
   */
  waitedMs: number[];
}

export interface SweepOptions {
  /** Most pending requests, and most approvals, closed in one call. Default 100. */
  limit?: number | undefined;
}
