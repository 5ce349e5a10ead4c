/**
 * Case 6's baselines for decision → resume, in a process of its own like an agent: LISTENs and
 * reports when each notification arrives (CLOCK_MONOTONIC). With `claim`, it first claims the
 * request the payload names the least way an agent honestly can: one conditional statement, no
 * read before it (the row's status is the condition, so a forged NOTIFY claims nothing), that
 * also inserts the grant (a fresh token, hashed) and queues its audit entry; then it checks the
 * returned record is the call it waits for.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { named, now } from './pg/load-store.js';

interface Config {
  url: string;
  channel: string;
  appName: string;
  /** The floor tables' schema, quoted; null: report arrival only. */
  claim: string | null;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const report = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const listener = new pg.Client({ connectionString: named(config.url, config.appName) });
const worker = new pg.Client({ connectionString: named(config.url, config.appName) });
await listener.connect();
await worker.connect();
const s = config.claim;
const claimSql = `WITH claimed AS (UPDATE ${s}.floor_requests SET grant_id = $2, version = version + 1
    WHERE id = $1 AND status = 'approved' AND grant_id IS NULL RETURNING id, record),
  granted AS (INSERT INTO ${s}.floor_grants (id, token_hash, request_id)
    SELECT $2, $3, id FROM claimed RETURNING id),
  queued AS (INSERT INTO ${s}.floor_queue (a) SELECT $4::text[] FROM granted RETURNING id)
  SELECT (SELECT record FROM claimed) AS record, EXISTS (SELECT 1 FROM queued) AS queued`;
listener.on('notification', (message) => {
  const id = message.payload ?? '';
  if (s === null) {
    report({ event: 'heard', id, at: now() });
    return;
  }
  const grantId = `grt_${id}`;
  const tokenHash = createHash('sha256').update(randomBytes(32)).digest('hex');
  const entry = JSON.stringify({ type: 'granted', requestId: id, grantId, at: Date.now() });
  worker
    .query({ text: claimSql, values: [id, grantId, tokenHash, [entry]], name: 'floor_claim' })
    .then(({ rows }) => {
      const record = rows[0]?.record as { fingerprint?: string } | null;
      if (record?.fingerprint !== 'f'.repeat(64) || rows[0].queued !== true)
        throw new Error(`claim of ${id} failed`);
      report({ event: 'heard', id, at: now() });
    })
    .catch((error: unknown) => report({ event: 'failed', id, error: String(error) }));
});
await listener.query(`LISTEN ${pg.escapeIdentifier(config.channel)}`);
report({ event: 'ready' });
process.stdin
  .on('data', () => {})
  .on('end', async () => {
    await listener.end();
    await worker.end();
    report({ event: 'done' });
  });
