// The audit queue: drafts stored with the write that made them, cut where the sealer fills in prevHash and seq.
import { type AuditDraft, canonicalJson, GENESIS_HASH, type JsonObject } from '@countersign/core';
import type pg from 'pg';
import type { Params } from './params.js';

const PREV_HASH = `,"prevHash":"${GENESIS_HASH}"`;
const SEQ = ',"seq":0,';

/**
 * A draft's canonical JSON as an entry (the exact string core hashes), cut around the values
 * only the database knows when it chains the entry: `a + prevHash + b + seq + c`. Every member
 * after `action` (the only object) is a string, a number or null, so the last `"prevHash"` and
 * `"seq"` members are the entry's own, never a key inside the action's params.
 */
export function entryParts(draft: AuditDraft): [string, string, string] {
  const json = canonicalJson({ ...draft, seq: 0, prevHash: GENESIS_HASH } as unknown as JsonObject);
  const prev = json.lastIndexOf(PREV_HASH);
  const seq = json.lastIndexOf(SEQ);
  if (prev < 0 || seq < prev) throw new Error('[countersign] [postgres] unexpected audit entry layout');
  const hashAt = prev + PREV_HASH.length - GENESIS_HASH.length - 1;
  return [
    json.slice(0, hashAt),
    json.slice(hashAt + GENESIS_HASH.length, seq + SEQ.length - 2),
    json.slice(seq + SEQ.length - 1),
  ];
}

/**
 * CTEs that queue the drafts of every group whose gate holds, in order, as one row: each
 * draft's canonical JSON cut around prevHash and seq (see `entryParts`), for the sealer to
 * complete and hash. `queued` says whether a row was inserted.
 */
export function queueSql(
  s: string,
  p: Params,
  groups: readonly (readonly AuditDraft[])[],
  gates: readonly string[],
): { ctes: string[]; queued: string } {
  const parts = groups.flatMap((drafts, group) =>
    drafts.map((draft) => [...entryParts(draft), group] as const),
  );
  if (parts.length === 0) return { ctes: [], queued: 'false' };
  const when = gates.map((gate, group) => `WHEN ${group} THEN (${gate})`).join(' ');
  return {
    ctes: [
      `drafts AS (SELECT d.a, d.b, d.c, d.i
        FROM unnest(${p.add(parts.map((x) => x[0]))}::text[], ${p.add(parts.map((x) => x[1]))}::text[],
          ${p.add(parts.map((x) => x[2]))}::text[], ${p.add(parts.map((x) => x[3]))}::integer[])
          WITH ORDINALITY AS d(a, b, c, g, i)
        WHERE CASE d.g ${when} ELSE false END)`,
      `queued AS (INSERT INTO ${s}.audit_queue (a, b, c)
        SELECT array_agg(a ORDER BY i), array_agg(b ORDER BY i), array_agg(c ORDER BY i) FROM drafts
        HAVING count(*) > 0
        RETURNING id)`,
    ],
    queued: 'EXISTS (SELECT 1 FROM queued)',
  };
}

/** Inside a transaction: queues the drafts as one row, committed with it. */
export async function queueIn(
  s: string,
  client: pg.PoolClient,
  drafts: readonly AuditDraft[],
): Promise<void> {
  if (drafts.length === 0) return;
  const parts = drafts.map(entryParts);
  await client.query(`INSERT INTO ${s}.audit_queue (a, b, c) VALUES ($1, $2, $3)`, [
    parts.map((x) => x[0]),
    parts.map((x) => x[1]),
    parts.map((x) => x[2]),
  ]);
}
