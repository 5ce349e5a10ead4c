// write(): one change and its audit entries in ONE statement, committed on its own, NOTIFYing what it changed.
import type { AuditDraft } from '@countersign/core';
import type pg from 'pg';
import { queueSql } from './audit-queue.js';
import type { PgContext } from './context.js';
import { Params } from './params.js';

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
}

/**
 * The change, then its entries inserted into the queue as one row (id from a sequence, so in
 * start order). No lock is shared by all writers: the chain head is only locked by the sealer.
 * Schedules a seal.
 */
export async function write<T>(
  ctx: PgContext,
  groups: readonly (readonly AuditDraft[])[],
  change: (p: Params) => Change,
): Promise<{ result: T }> {
  const p = new Params();
  const built = change(p);
  const queue = queueSql(ctx.s, p, groups, built.gates);
  const notify =
    built.notify === undefined
      ? 'NULL'
      : `(SELECT count(pg_notify(${p.add(ctx.channel)}, n.id)) FROM (${built.notify}) AS n(id))`;
  const sql = `WITH ${[...built.ctes, ...queue.ctes].join(',\n')}
    SELECT ${built.result} AS result, ${queue.queued} AS queued, ${notify} AS notified`;
  const { rows } = await ctx.db.queryable().query({
    text: sql,
    values: p.values,
    name: ctx.db.statementName(sql),
  });
  const row = rows[0] as { result: T; queued: boolean };
  if (row.queued) ctx.sealer.queued();
  return { result: row.result };
}

/** Inside a transaction: a NOTIFY delivered at COMMIT, and only if it commits. */
export async function notifyIn(ctx: PgContext, client: pg.PoolClient, requestId: string): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [ctx.channel, requestId]);
}
