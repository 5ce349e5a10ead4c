// Case 6's audit measures: appends with concurrent writers counted until chained, and a plain paged read for verify.
import type { PostgresStore } from '@countersign/postgres-store';
import type pg from 'pg';
import { draft } from '../cases/audit-log.js';

/**
 * `writers` loops appending one entry per call for `ms`; entries per second, counted once
 * chained: the time runs until `seal()` has chained what was still queued when they stopped.
 */
export async function appendRate(store: PostgresStore, writers: number, ms: number): Promise<number> {
  let count = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (performance.now() < end) {
        await store.appendAudit([draft(w * 1e9 + count)]);
        count += 1;
      }
    }),
  );
  await store.seal();
  return count / ((performance.now() - t0) / 1000);
}

/** `n` more entries, 100 per append. */
export async function seedAudit(store: PostgresStore, n: number): Promise<void> {
  for (let i = 0; i < n; i += 100) {
    await store.appendAudit(Array.from({ length: 100 }, (_, k) => draft(i + k)));
  }
}

/** Every audit row of schema `s` (quoted), 1,000 per page, as core's verify() pages: no parsing beyond pg's, no hashing. */
export async function pagedRead(client: pg.Client, s: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  let after = 0;
  for (;;) {
    const { rows } = await client.query<{ seq: string; entry: unknown }>(
      `SELECT seq, entry FROM ${s}.audit WHERE seq > $1 ORDER BY seq LIMIT 1000`,
      [after],
    );
    if (rows.length === 0) break;
    after = Number(rows[rows.length - 1]!.seq);
  }
  return Number(process.hrtime.bigint() - t0);
}
