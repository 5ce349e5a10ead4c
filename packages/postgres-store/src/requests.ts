// Approval requests in PostgreSQL: insert by idempotency key, compare-and-set by version, reads and lists.
import type { ApprovalRequest, AuditDraft, Store } from '@countersign/core';
import type pg from 'pg';
import { queueIn } from './audit-queue.js';
import type { PgContext } from './context.js';
import { Rollback } from './database.js';
import type { Params } from './params.js';
import { notifyIn, write } from './write.js';

export type RequestMethods = Pick<
  Store,
  | 'createRequest'
  | 'getRequest'
  | 'findRequestByIdempotencyKey'
  | 'updateRequest'
  | 'updateRequests'
  | 'listRequests'
>;

export function requestMethods(ctx: PgContext): RequestMethods {
  const { s } = ctx;
  return {
    async createRequest(request, audit) {
      const { result: created } = await write<ApprovalRequest | null>(ctx, [audit], (p) => ({
        ctes: [
          `changed AS (INSERT INTO ${s}.requests (id, actor, idempotency_key, status, version, expires_at, record)
            SELECT ${p.add(request.id)}::text, ${p.add(request.actor)}::text, ${p.add(request.idempotencyKey)}::text,
              ${p.add(request.status)}::text, ${p.add(request.version)}::integer, ${p.add(request.expiresAt)}::double precision,
              ${p.add(JSON.stringify(request))}::json
            ON CONFLICT (actor, idempotency_key) DO NOTHING
            RETURNING id, record)`,
        ],
        gates: ['EXISTS (SELECT 1 FROM changed)'],
        result: '(SELECT record FROM changed)',
        notify: 'SELECT id FROM changed',
      }));
      if (created !== null) return { created: true, request: created };
      // ON CONFLICT waited for the other writer to commit, so a new statement sees its row.
      const existing = await selectRequest(ctx, ctx.db.queryable(), 'actor = $1 AND idempotency_key = $2', [
        request.actor,
        request.idempotencyKey,
      ]);
      if (existing === null) {
        throw new Error(
          `[countersign] [postgres] idempotency key conflict for ${request.actor} but no request found`,
        );
      }
      return { created: false, request: existing };
    },

    async getRequest(id) {
      return selectRequest(ctx, ctx.db.queryable(), 'id = $1', [id]);
    },

    async findRequestByIdempotencyKey(actor, idempotencyKey) {
      return selectRequest(ctx, ctx.db.queryable(), 'actor = $1 AND idempotency_key = $2', [
        actor,
        idempotencyKey,
      ]);
    },

    async updateRequest(next, audit) {
      const { result } = await write<ApprovalRequest | null>(ctx, [audit], (p) => ({
        ctes: [replaceCte(s, p, next)],
        gates: ['EXISTS (SELECT 1 FROM changed)'],
        result: '(SELECT record FROM changed)',
        notify: 'SELECT id FROM changed',
        urgent: next.status === 'approved',
      }));
      return result;
    },

    async updateRequests(updates: readonly { next: ApprovalRequest; audit: readonly AuditDraft[] }[]) {
      if (new Set(updates.map((update) => update.next.id)).size !== updates.length) return null;
      const result = await ctx.db.transaction<ApprovalRequest[] | null>(async (client) => {
        // Row locks in id order, so two overlapping batches queue instead of deadlocking.
        const order = updates
          .map((_, i) => i)
          .sort((a, b) => (updates[a]!.next.id < updates[b]!.next.id ? -1 : 1));
        const stored: ApprovalRequest[] = new Array(updates.length);
        for (const i of order) {
          const saved = await replaceRequest(ctx, client, updates[i]!.next);
          if (saved === null) return new Rollback(null);
          stored[i] = saved;
        }
        await queueIn(
          s,
          client,
          updates.flatMap((update) => update.audit),
        );
        for (const request of stored) await notifyIn(ctx, client, request.id);
        return stored;
      });
      if (result !== null && updates.some((update) => update.audit.length > 0)) ctx.sealer.queued();
      if (result !== null) ctx.delivered(result.map((request) => request.id));
      return result;
    },

    async listRequests(query) {
      const { rows } = await ctx.db.queryable().query(
        `SELECT record FROM ${s}.requests
         WHERE status = $1 AND ($2::double precision IS NULL OR expires_at <= $2)
         ORDER BY expires_at, id
         LIMIT $3`,
        [query.status, query.expiresAtOrBefore ?? null, query.limit],
      );
      return rows.map((row) => row.record as ApprovalRequest);
    },
  };
}

/** The compare-and-set as a CTE named `changed`: writes `next` only over version `next.version - 1` and when `condition` holds. */
export function replaceCte(s: string, p: Params, next: ApprovalRequest, condition = 'true'): string {
  return `changed AS (UPDATE ${s}.requests
    SET actor = ${p.add(next.actor)}, idempotency_key = ${p.add(next.idempotencyKey)}, status = ${p.add(next.status)},
      version = ${p.add(next.version)}, expires_at = ${p.add(next.expiresAt)}, record = ${p.add(JSON.stringify(next))},
      updated_at = now()
    WHERE id = ${p.add(next.id)} AND version = ${p.add(next.version - 1)} AND ${condition}
    RETURNING id, record)`;
}

/** Inside a transaction, the compare-and-set: writes `next` only over version `next.version - 1`. */
export async function replaceRequest(
  ctx: PgContext,
  client: pg.PoolClient,
  next: ApprovalRequest,
): Promise<ApprovalRequest | null> {
  const { rows } = await client.query(
    `UPDATE ${ctx.s}.requests
     SET actor = $3, idempotency_key = $4, status = $5, version = $6, expires_at = $7, record = $8, updated_at = now()
     WHERE id = $1 AND version = $2
     RETURNING record`,
    [
      next.id,
      next.version - 1,
      next.actor,
      next.idempotencyKey,
      next.status,
      next.version,
      next.expiresAt,
      JSON.stringify(next),
    ],
  );
  return (rows[0]?.record as ApprovalRequest | undefined) ?? null;
}

async function selectRequest(
  ctx: PgContext,
  db: pg.Pool | pg.PoolClient,
  where: string,
  values: unknown[],
): Promise<ApprovalRequest | null> {
  const { rows } = await db.query(`SELECT record FROM ${ctx.s}.requests WHERE ${where}`, values);
  return (rows[0]?.record as ApprovalRequest | undefined) ?? null;
}
