// Grants in PostgreSQL: issued with their approval, consumed once by a conditional update, revoked once.
import type { ApprovalRequest, ClaimExpectation, GrantRecord, Store } from '@countersign/core';
import type pg from 'pg';
import type { PgContext } from './context.js';
import type { Params } from './params.js';
import { replaceCte } from './requests.js';
import { write } from './write.js';

export interface GrantRow {
  id: string;
  token_hash: string;
  fingerprint: string;
  session_id: string;
  request_id: string | null;
  actor: string;
  rule_id: string;
  issued_at: number;
  expires_at: number;
  consumed_at: number | null;
  revoked_at: number | null;
}

export type GrantMethods = Required<
  Pick<
    Store,
    | 'createGrant'
    | 'updateRequestAndCreateGrant'
    | 'claimApproved'
    | 'revokeGrantAndUpdateRequest'
    | 'getGrantByTokenHash'
    | 'consumeGrant'
    | 'revokeGrant'
    | 'listUnrevokedGrants'
  >
>;

export function grantMethods(ctx: PgContext): GrantMethods {
  const { s } = ctx;
  return {
    async createGrant(grant, audit) {
      await write(ctx, [audit], (p) => ({
        ctes: [`granted AS (${insertGrantSql(s, p, grant, 'true')} RETURNING id)`],
        gates: ['EXISTS (SELECT 1 FROM granted)'],
        result: '(SELECT id FROM granted)',
      }));
    },

    async updateRequestAndCreateGrant(next, audit, grant) {
      const { result } = await write<ApprovalRequest | null>(ctx, [audit], (p) => ({
        ctes: [
          replaceCte(s, p, next),
          `granted AS (${insertGrantSql(s, p, grant, 'EXISTS (SELECT 1 FROM changed)')} RETURNING id)`,
        ],
        gates: ['EXISTS (SELECT 1 FROM granted)'],
        result: '(SELECT record FROM changed WHERE EXISTS (SELECT 1 FROM granted))',
        notify: 'SELECT id FROM changed',
        urgent: true,
      }));
      return result;
    },

    async claimApproved(id, expected, grant, audit) {
      const { result } = await write<ApprovalRequest | null>(ctx, [audit], (p) => ({
        ctes: [
          claimCte(s, p, id, expected, grant.id),
          `granted AS (${insertGrantSql(s, p, grant, 'EXISTS (SELECT 1 FROM changed)')} RETURNING id)`,
        ],
        gates: ['EXISTS (SELECT 1 FROM granted)'],
        result: '(SELECT record FROM changed WHERE EXISTS (SELECT 1 FROM granted))',
        notify: 'SELECT id FROM changed',
        urgent: true,
      }));
      return result;
    },

    async revokeGrantAndUpdateRequest(revoke, update) {
      // Grant row, then request row: no write locks a request before an existing grant, so this
      // order cannot deadlock. Each change on its own condition, each group of entries queued only
      // if its change happened.
      const { result } = await write<{ grant: GrantRow | null; request: ApprovalRequest | null }>(
        ctx,
        [revoke.audit, update.audit],
        (p) => ({
          ctes: [
            `revoked AS (UPDATE ${s}.grants SET revoked_at = ${p.add(revoke.now)}
              WHERE id = ${p.add(revoke.id)} AND revoked_at IS NULL RETURNING *)`,
            `revoked_json AS (SELECT row_to_json(revoked) AS row FROM revoked)`,
            replaceCte(s, p, update.next),
          ],
          gates: ['EXISTS (SELECT 1 FROM revoked_json)', 'EXISTS (SELECT 1 FROM changed)'],
          result: `json_build_object('grant', (SELECT row FROM revoked_json), 'request', (SELECT record FROM changed))`,
          notify: 'SELECT id FROM changed',
        }),
      );
      return { grant: result.grant === null ? null : grantFromRow(result.grant), request: result.request };
    },

    async getGrantByTokenHash(tokenHash) {
      const { rows } = await ctx.db
        .queryable()
        .query<GrantRow>(`SELECT * FROM ${s}.grants WHERE token_hash = $1`, [tokenHash]);
      return rows[0] ? grantFromRow(rows[0]) : null;
    },

    async consumeGrant(match, audit) {
      const { result: row } = await write<GrantRow | null>(ctx, [audit], (p) => {
        const now = p.add(match.now);
        return {
          ctes: [
            `consumed AS (UPDATE ${s}.grants SET consumed_at = ${now}
              WHERE token_hash = ${p.add(match.tokenHash)} AND fingerprint = ${p.add(match.fingerprint)}
                AND session_id = ${p.add(match.sessionId)}
                AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ${now}
              RETURNING *)`,
          ],
          gates: ['EXISTS (SELECT 1 FROM consumed)'],
          result: '(SELECT row_to_json(consumed) FROM consumed)',
        };
      });
      return row === null ? null : grantFromRow(row);
    },

    async revokeGrant(id, now, audit) {
      const { result: row } = await write<GrantRow | null>(ctx, [audit], (p) => ({
        ctes: [
          `revoked AS (UPDATE ${s}.grants SET revoked_at = ${p.add(now)}
            WHERE id = ${p.add(id)} AND revoked_at IS NULL RETURNING *)`,
        ],
        gates: ['EXISTS (SELECT 1 FROM revoked)'],
        result: '(SELECT row_to_json(revoked) FROM revoked)',
      }));
      return row === null ? null : grantFromRow(row);
    },

    async listUnrevokedGrants(query) {
      const { rows } = await ctx.db.queryable().query<GrantRow>(
        `SELECT * FROM ${s}.grants WHERE revoked_at IS NULL AND expires_at <= $1
         ORDER BY expires_at, id LIMIT $2`,
        [query.expiresAtOrBefore, query.limit],
      );
      return rows.map(grantFromRow);
    },
  };
}

/**
 * The claim as a CTE named `changed`: sets `grantId` and `version + 1` on an unclaimed approval of
 * exactly the expected call, still claimable at `expected.now`. Members are compared as the JSON
 * text core stored (never cast to jsonb, which refuses a \u0000 that json keeps): a record whose text
 * differs is not claimed here, and core then reads it and claims it by version.
 */
function claimCte(s: string, p: Params, id: string, expected: ClaimExpectation, grantId: string): string {
  const same = (key: keyof ClaimExpectation) =>
    `(r.record -> '${key}')::text = ${p.add(JSON.stringify(expected[key]))}::text`;
  return `changed AS (UPDATE ${s}.requests AS r
    SET version = r.version + 1, updated_at = now(),
      record = (SELECT json_object_agg(e.k, CASE e.k WHEN 'version' THEN to_json(r.version + 1)
          WHEN 'grantId' THEN to_json(${p.add(grantId)}::text) ELSE e.v END)
        FROM json_each(r.record) AS e(k, v))
    WHERE r.id = ${p.add(id)} AND r.status = 'approved' AND (r.record -> 'grantId')::text = 'null'
      AND ${(['fingerprint', 'sessionId', 'actor', 'onBehalfOf', 'reason', 'ruleId', 'action'] as const).map(same).join(' AND ')}
      AND GREATEST(r.expires_at, COALESCE((r.record ->> 'decidedAt')::double precision, 0)
        + (r.record ->> 'grantTtlMs')::double precision) > ${p.add(expected.now)}::double precision
    RETURNING r.id, r.record)`;
}

/** A grant row inserted only when `condition` holds (an SQL boolean over the statement's CTEs). */
function insertGrantSql(s: string, p: Params, grant: GrantRecord, condition: string): string {
  return `INSERT INTO ${s}.grants
      (id, token_hash, fingerprint, session_id, request_id, actor, rule_id, issued_at, expires_at, consumed_at, revoked_at)
    SELECT ${p.add(grant.id)}::text, ${p.add(grant.tokenHash)}::text, ${p.add(grant.fingerprint)}::text,
      ${p.add(grant.sessionId)}::text, ${p.add(grant.requestId)}::text, ${p.add(grant.actor)}::text,
      ${p.add(grant.ruleId)}::text, ${p.add(grant.issuedAt)}::double precision,
      ${p.add(grant.expiresAt)}::double precision, ${p.add(grant.consumedAt)}::double precision,
      ${p.add(grant.revokedAt)}::double precision
    WHERE ${condition}`;
}

/** Inside a transaction: the revoked grant, or null when it is unknown or already revoked. */
export async function revokeIn(
  ctx: PgContext,
  client: pg.PoolClient,
  id: string,
  now: number,
): Promise<GrantRecord | null> {
  const { rows } = await client.query<GrantRow>(
    `UPDATE ${ctx.s}.grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING *`,
    [id, now],
  );
  return rows[0] ? grantFromRow(rows[0]) : null;
}

export function grantFromRow(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    fingerprint: row.fingerprint,
    sessionId: row.session_id,
    requestId: row.request_id,
    actor: row.actor,
    ruleId: row.rule_id,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
    revokedAt: row.revoked_at,
  };
}
