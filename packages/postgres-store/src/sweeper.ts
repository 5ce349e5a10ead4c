// sweepExpired(): what core's sweep() closes, by the database clock, in one transaction that skips rows others hold.
import { type ApprovalRequest, type AuditDraft, lapse, lapseGrant } from '@countersign/core';
import { queueIn } from './audit-queue.js';
import type { PgContext } from './context.js';
import { type GrantRow, grantFromRow, revokeIn } from './grants.js';
import type { SweepOptions } from './options.js';
import { replaceRequest } from './requests.js';
import { notifyIn } from './write.js';

export async function sweepExpired(ctx: PgContext, options: SweepOptions = {}): Promise<string[]> {
  const { s } = ctx;
  const limit = options.limit ?? 100;
  const swept = await ctx.db.transaction(async (client) => {
    const clock = await client.query<{ now: number }>(
      'SELECT floor(extract(epoch FROM now()) * 1000)::double precision AS now',
    );
    const now = clock.rows[0]!.now;
    const drafts: AuditDraft[] = [];
    // Grants that expired unrevoked (their process stopped before ending them) first, with
    // core's entry for that: a stranded approval's grant is then closed with its consumption
    // time recorded, and lapse()'s own revocation below finds it revoked already.
    const expired = await client.query<GrantRow>(
      `SELECT * FROM ${s}.grants WHERE revoked_at IS NULL AND expires_at <= $1
       ORDER BY expires_at, id LIMIT $2
       FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    const revokedGrants: string[] = [];
    for (const row of expired.rows) {
      const draft = lapseGrant(grantFromRow(row), now);
      if (draft === null) continue;
      drafts.push(draft);
      revokedGrants.push(row.id);
    }
    if (revokedGrants.length > 0) {
      await client.query(`UPDATE ${s}.grants SET revoked_at = $2 WHERE id = ANY($1) AND revoked_at IS NULL`, [
        revokedGrants,
        now,
      ]);
    }
    const pending = await client.query(
      `SELECT record FROM ${s}.requests
       WHERE status = 'pending' AND expires_at <= $1
       ORDER BY expires_at, id
       LIMIT $2
       FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    // When an approval lapses is core's rule (lapse()), not a column: read them, then lock the due ones.
    const approved = await client.query(
      `SELECT record FROM ${s}.requests WHERE status = 'approved' ORDER BY expires_at, id LIMIT $1`,
      [limit],
    );
    const due = approved.rows
      .map((row) => row.record as ApprovalRequest)
      .filter((request) => lapse(request, now) !== null);
    // Grants before requests, the order revokeGrantAndUpdateRequest locks them in; one a process holds is skipped.
    const held = await client.query<{ id: string }>(
      `SELECT id FROM ${s}.grants WHERE id = ANY($1) FOR UPDATE SKIP LOCKED`,
      [due.flatMap((request) => (request.grantId === null ? [] : [request.grantId]))],
    );
    const grants = new Set(held.rows.map((row) => row.id));
    // Only requests whose grant this sweep holds (or that had none): locking one whose grant another
    // sweep holds would make that sweep skip it too, and neither would close it.
    const lapsed = await client.query(
      `SELECT record FROM ${s}.requests
       WHERE status = 'approved' AND id = ANY($1)
       ORDER BY expires_at, id
       FOR UPDATE SKIP LOCKED`,
      [
        due
          .filter((request) => request.grantId === null || grants.has(request.grantId))
          .map((request) => request.id),
      ],
    );
    const closed: string[] = [];
    for (const row of [...pending.rows, ...lapsed.rows]) {
      const change = lapse(row.record as ApprovalRequest, now);
      if (change === null || (change.revoke !== null && !grants.has(change.revoke.id))) continue;
      if ((await replaceRequest(ctx, client, change.next)) === null) continue;
      if (change.revoke !== null && (await revokeIn(ctx, client, change.revoke.id, now)) !== null) {
        drafts.push(...change.revoke.audit);
      }
      drafts.push(...change.audit);
      closed.push(change.next.id);
    }
    // Reuse windows that have ended can never apply again: drop them, so the table tracks live ones.
    await client.query(
      `DELETE FROM ${s}.reuse_windows
       WHERE id IN (SELECT id FROM ${s}.reuse_windows WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [now, limit],
    );
    await queueIn(s, client, drafts);
    for (const id of closed) await notifyIn(ctx, client, id);
    return { ids: [...revokedGrants, ...closed], closed, queued: drafts.length > 0 };
  });
  if (swept.queued) ctx.sealer.queued();
  ctx.delivered(swept.closed);
  return swept.ids;
}
