// write(): one change and its audit entries in ONE statement, committed on its own, NOTIFYing what it changed.
import type { AuditDraft } from '@countersign/core';
import type pg from 'pg';
import { queueSql } from './audit-queue.js';
import type { PgContext } from './context.js';
import { Params } from './params.js';
import type { SealRow } from './sealer.js';

/**
 * What one write changes besides the audit chain, as SQL for `write()`: CTEs that make the
 * change; `gates`, one SQL condition per group of drafts given to `write()`, saying whether
 * that group's entries are written (true when its part of the change happened); `result`, a
 * scalar expression, is what the caller gets back.
 */
export interface Change {
  ctes: string[];
  gates: string[];
  result: string;
  /** A query of request ids to NOTIFY about, delivered at commit. */
  notify?: string | undefined;
  /**
   * An action waits on this write: an approval that wakes a guard, or the claim its action runs
   * after. No due seal rides on it (a seal in the statement delays its commit, and so the NOTIFY
   * and the action); the store's next other write carries the seal.
   */
  urgent?: boolean | undefined;
}

/**
 * The change, then its entries inserted into the queue as one row (id from a sequence, so in
 * start order). No lock is shared by all writers: the chain head is only locked by the sealer.
 * Schedules a seal, and carries this store's due seal, if any, in the same statement: the seal
 * takes the lock only if it is free, so it never waits, and it chains the rows committed before
 * it (and this write's own, if PostgreSQL ran that insert first); see `Sealer.carry()`.
 */
export async function write<T>(
  ctx: PgContext,
  groups: readonly (readonly AuditDraft[])[],
  change: (p: Params) => Change,
): Promise<{ result: T }> {
  const p = new Params();
  const built = change(p);
  const queue = queueSql(ctx.s, p, groups, built.gates);
  // The ids, each NOTIFYed (pg_notify is volatile, so the planner keeps the column nobody reads).
  const notify =
    built.notify === undefined
      ? 'NULL'
      : `(SELECT array_agg(n.id) FROM (SELECT n0.id, pg_notify(${p.add(ctx.channel)}, n0.id) AS sent
          FROM (${built.notify}) AS n0(id)) AS n)`;
  const carried = built.urgent ? null : ctx.sealer.carry((value) => p.add(value));
  const sql = `WITH ${[...built.ctes, ...queue.ctes].join(',\n')}
    SELECT ${built.result} AS result, ${queue.queued} AS queued, ${notify} AS notified,
      ${carried?.sql ?? 'NULL'} AS sealed`;
  let row: { result: T; queued: boolean; notified: string[] | null; sealed: SealRow | null };
  try {
    const { rows } = await ctx.db.queryable().query({
      text: sql,
      values: p.values,
      name: ctx.db.statementName(sql),
    });
    row = rows[0];
  } catch (error) {
    if (carried !== null) ctx.sealer.carried(carried.seal, null);
    throw error;
  }
  if (carried !== null) ctx.sealer.carried(carried.seal, row.sealed);
  if (row.queued) ctx.sealer.queued();
  if (row.notified !== null) ctx.delivered(row.notified);
  return { result: row.result };
}

/** Inside a transaction: a NOTIFY delivered at COMMIT, and only if it commits; the caller delivers it in process after. */
export async function notifyIn(ctx: PgContext, client: pg.PoolClient, requestId: string): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [ctx.channel, requestId]);
}
