// Reuse windows in PostgreSQL: opened once per request, each use a conditional count, revoked once.
import type { ReuseWindow, Store } from '@countersign/core';
import type { PgContext } from './context.js';
import { write } from './write.js';

interface WindowRow {
  id: string;
  request_id: string;
  rule_id: string;
  scope: string;
  match: string;
  risk: ReuseWindow['risk'];
  created_at: number;
  expires_at: number;
  max_uses: number;
  uses: number;
  revoked_at: number | null;
}

export type ReuseWindowMethods = Required<
  Pick<
    Store,
    'createReuseWindow' | 'findReuseWindows' | 'useReuseWindow' | 'revokeReuseWindow' | 'getReuseWindow'
  >
>;

export function reuseWindowMethods(ctx: PgContext): ReuseWindowMethods {
  const { s } = ctx;
  return {
    async createReuseWindow(window, audit) {
      const { result } = await write<string | null>(ctx, [audit], (p) => ({
        ctes: [
          `opened AS (INSERT INTO ${s}.reuse_windows
              (id, request_id, rule_id, scope, match, risk, created_at, expires_at, max_uses, uses, revoked_at)
            SELECT ${p.add(window.id)}::text, ${p.add(window.requestId)}::text, ${p.add(window.ruleId)}::text,
              ${p.add(window.scope)}::text, ${p.add(window.match)}::text, ${p.add(window.risk)}::text,
              ${p.add(window.createdAt)}::double precision, ${p.add(window.expiresAt)}::double precision,
              ${p.add(window.maxUses)}::integer, ${p.add(window.uses)}::integer, ${p.add(window.revokedAt)}::double precision
            ON CONFLICT (id) DO NOTHING
            RETURNING id)`,
        ],
        gates: ['EXISTS (SELECT 1 FROM opened)'],
        result: '(SELECT id FROM opened)',
      }));
      return result !== null;
    },

    async findReuseWindows(query) {
      const { rows } = await ctx.db.queryable().query<WindowRow>(
        `SELECT * FROM ${s}.reuse_windows
         WHERE scope = $1 AND match = $2 AND rule_id = $3 AND expires_at > $4
           AND revoked_at IS NULL AND uses < max_uses
         ORDER BY created_at LIMIT 10`,
        [query.scope, query.match, query.ruleId, query.now],
      );
      return rows.map(windowFromRow);
    },

    async useReuseWindow(id, uses, now, audit) {
      const { result: row } = await write<WindowRow | null>(ctx, [audit], (p) => ({
        ctes: [
          `used AS (UPDATE ${s}.reuse_windows SET uses = uses + 1
            WHERE id = ${p.add(id)} AND uses = ${p.add(uses)} AND expires_at > ${p.add(now)}
              AND revoked_at IS NULL AND uses < max_uses
            RETURNING *)`,
        ],
        gates: ['EXISTS (SELECT 1 FROM used)'],
        result: '(SELECT row_to_json(used) FROM used)',
      }));
      return row === null ? null : windowFromRow(row);
    },

    async revokeReuseWindow(id, now, audit) {
      const { result: row } = await write<WindowRow | null>(ctx, [audit], (p) => ({
        ctes: [
          `revoked AS (UPDATE ${s}.reuse_windows SET revoked_at = ${p.add(now)}
            WHERE id = ${p.add(id)} AND revoked_at IS NULL RETURNING *)`,
        ],
        gates: ['EXISTS (SELECT 1 FROM revoked)'],
        result: '(SELECT row_to_json(revoked) FROM revoked)',
      }));
      return row === null ? null : windowFromRow(row);
    },

    async getReuseWindow(id) {
      const { rows } = await ctx.db
        .queryable()
        .query<WindowRow>(`SELECT * FROM ${s}.reuse_windows WHERE id = $1`, [id]);
      return rows[0] ? windowFromRow(rows[0]) : null;
    },
  };
}

function windowFromRow(row: WindowRow): ReuseWindow {
  return {
    id: row.id,
    requestId: row.request_id,
    ruleId: row.rule_id,
    scope: row.scope,
    match: row.match,
    risk: row.risk,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    uses: row.uses,
    revokedAt: row.revoked_at,
  };
}
