/**
 * Case 6's floor for approvals/s: the fastest honest approval this bench knows on the same tables,
 * without core. `agent` guards `jobs` calls one after another; `server` approves the ids it reads
 * on stdin. Six statements per approval, each a change with its audit entry queued in the same
 * statement and a NOTIFY naming the request, sealed into the same hash chain by seal_audit():
 * create; read, decide (server); claim, a conditional update with no read before it that also
 * inserts the grant (a fresh 256-bit token, hashed); consume; revoke with the outcome. The agent
 * checks the record its claim returns is its call, approved by an eligible approver, as core does
 * before a run. Events as pg-agent.ts and pg-approver.ts report them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { cpuUs, named, now } from './pg/load-store.js';

interface Config {
  url: string;
  schema: string;
  appName: string;
  jobs?: number;
  worker?: number;
}

const role = process.argv[3] === 'server' ? 'server' : 'agent';
const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const report = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const s = pg.escapeIdentifier(config.schema);
const channel = `${config.schema}_requests`;
const pool = new pg.Pool({ connectionString: named(config.url, config.appName), max: 4 });
const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** An audit entry cut where the sealer puts prevHash and seq, as the store queues it. */
function entry(type: string, requestId: string, record: string): [string, string, string] {
  return [
    `{"at":${Date.now()},"record":${record},"prevHash":"`,
    '","requestId":"' + requestId + '","seq":',
    `,"type":"${type}"}`,
  ];
}
const queue = (p: number) =>
  `INSERT INTO ${s}.audit_queue (a, b, c) SELECT ARRAY[$${p}::text], ARRAY[$${p + 1}::text], ARRAY[$${p + 2}::text]`;

// The server seals every 100 ms (one statement); agents leave it to the server.
let sealing = false;
const sealer = setInterval(() => {
  if (sealing || role !== 'server') return;
  sealing = true;
  pool
    .query(`SELECT * FROM ${s}.seal_audit($1, hashtext($2), 1000, false)`, [0x6374, config.schema])
    .finally(() => {
      sealing = false;
    });
}, 100).unref();

/** The claim: one conditional statement, no read before it; the approved record, or no row. */
async function claim(
  id: string,
  grantId: string,
  token: string,
  fingerprint: string,
  ...entryParts: string[]
): Promise<{ record: unknown }[]> {
  const { rows } = await pool.query({
    name: 'claim',
    text: `WITH changed AS (UPDATE ${s}.requests
          SET version = version + 1, record = (record::jsonb || jsonb_build_object('grantId', $2::text, 'version', version + 1))::json
          WHERE id = $1 AND status = 'approved' AND record->>'grantId' IS NULL RETURNING record),
        granted AS (INSERT INTO ${s}.grants (id, token_hash, fingerprint, session_id, request_id, actor, rule_id, issued_at, expires_at)
          SELECT $2, $3, $4, 'sess_42', $1, 'agent:report-bot', 'exports-need-one', $5::double precision, $5::double precision + 60000 FROM changed RETURNING id),
        q AS (${queue(6)} FROM granted)
        SELECT record FROM changed`,
    values: [id, grantId, sha(token), fingerprint, Date.now(), ...entryParts],
  });
  return rows;
}

if (role === 'server') {
  report({ event: 'ready' });
  let open = 0;
  let ended = false;
  const finish = async () => {
    clearInterval(sealer);
    while (sealing) await new Promise((resolve) => setTimeout(resolve, 5));
    await pool.end();
    report({ event: 'done', cpu: cpuUs() });
  };
  createInterface({ input: process.stdin })
    .on('line', async (id) => {
      open += 1;
      const { rows } = await pool.query({
        name: 'read',
        text: `SELECT version, record FROM ${s}.requests WHERE id = $1`,
        values: [id],
      });
      const request = rows[0].record as Record<string, unknown>;
      if (request.status !== 'pending') throw new Error(`${id} is not pending`);
      const decided = JSON.stringify({
        ...request,
        status: 'approved',
        version: rows[0].version + 1,
        decidedAt: Date.now(),
        decisions: [
          { approver: 'user:bob', outcome: 'approve', at: Date.now(), comment: null, via: 'bench' },
        ],
      });
      const [a, b, c] = entry('approved', id, decided);
      const sent = now();
      await pool.query({
        name: 'decide',
        text: `WITH changed AS (UPDATE ${s}.requests SET status = 'approved', version = $2 + 1, record = $3
            WHERE id = $1 AND version = $2 RETURNING id), q AS (${queue(4)} FROM changed)
          SELECT pg_notify($7, id) FROM changed`,
        values: [id, rows[0].version, decided, a, b, c, channel],
      });
      report({ event: 'decided', id, sent, at: now(), cpu: cpuUs() });
      open -= 1;
      if (ended && open === 0) void finish();
    })
    .on('close', () => {
      ended = true;
      if (open === 0) void finish();
    });
} else {
  const waiting = new Map<string, () => void>();
  // Its own writes' NOTIFYs come back from its own server processes: dropped, as the store does.
  const own = new Set<number>();
  pool.on('connect', (client) => own.add((client as unknown as { processID: number }).processID));
  const listener = new pg.Client({ connectionString: named(config.url, config.appName) });
  await listener.connect();
  listener.on('notification', (message) => {
    if (!own.has(message.processId)) waiting.get(message.payload ?? '')?.();
  });
  await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
  report({ event: 'ready' });
  for (let i = 0; i < (config.jobs ?? 0); i++) {
    const params = { table: 'customers', format: 'csv', worker: config.worker, job: i };
    const action = {
      name: 'db.export',
      resource: 'prod/customers',
      params,
      paramsHash: sha(JSON.stringify(params)),
      redactedPaths: [],
    };
    const fingerprint = sha(JSON.stringify({ name: action.name, params, resource: action.resource }));
    const id = `req_${randomBytes(12).toString('hex')}`;
    const request = {
      id,
      actor: 'agent:report-bot',
      onBehalfOf: 'user:alice',
      sessionId: 'sess_42',
      action,
      fingerprint,
      ruleId: 'exports-need-one',
      reason: 'Alice asked for the Q3 churn report',
      risk: 'medium',
      status: 'pending',
      version: 1,
      quorum: 1,
      approvers: [{ kind: 'group', id: 'data-owners' }],
      decisions: [],
      deliveries: [],
      createdAt: Date.now(),
      expiresAt: Date.now() + 900_000,
      decidedAt: null,
      grantId: null,
      grantTtlMs: 60_000,
      idempotencyKey: null,
    };
    const record = JSON.stringify(request);
    let woken = new Promise<void>((resolve) => waiting.set(id, resolve));
    const [a, b, c] = entry('requested', id, record);
    await pool.query({
      name: 'create',
      text: `WITH changed AS (INSERT INTO ${s}.requests (id, actor, idempotency_key, status, version, expires_at, record)
          VALUES ($1, $2, NULL, 'pending', 1, $3, $4) RETURNING id), q AS (${queue(5)} FROM changed)
        SELECT pg_notify($8, id) FROM changed`,
      values: [id, request.actor, request.expiresAt, record, a, b, c, channel],
    });
    report({ event: 'requested', id });
    const token = randomBytes(32).toString('base64url');
    const grantId = `grt_${randomBytes(12).toString('hex')}`;
    const [ga, gb, gc] = entry('granted', id, `{"grantId":"${grantId}"}`);
    // A NOTIFY is a hint: claim, and if nothing was approved to claim, wait again (or poll, 1 s).
    let rows: { record: unknown }[] = [];
    while (rows.length === 0) {
      await Promise.race([woken, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      woken = new Promise<void>((resolve) => waiting.set(id, resolve));
      rows = await claim(id, grantId, token, fingerprint, ga, gb, gc);
    }
    waiting.delete(id);
    const claimed = rows[0]?.record as
      | { fingerprint?: string; status?: string; decisions?: { approver: string; outcome: string }[] }
      | undefined;
    const approvedBy = claimed?.decisions?.find((d) => d.outcome === 'approve')?.approver;
    if (claimed?.fingerprint !== fingerprint || claimed.status !== 'approved' || approvedBy !== 'user:bob') {
      throw new Error(`claim of ${id} refused`);
    }
    report({ event: 'ran', id, at: now(), cpu: cpuUs() });
    const consumed = await pool.query({
      name: 'consume',
      text: `UPDATE ${s}.grants SET consumed_at = $4 WHERE token_hash = $1 AND fingerprint = $2 AND session_id = $3
          AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > $4 RETURNING id`,
      values: [sha(token), fingerprint, 'sess_42', Date.now()],
    });
    if (consumed.rowCount !== 1) throw new Error('consume failed');
    const [oa, ob, oc] = entry('executed', id, `{"grantId":"${grantId}","consumedAt":${Date.now()}}`);
    await pool.query({
      name: 'finish',
      text: `WITH revoked AS (UPDATE ${s}.grants SET revoked_at = $3 WHERE id = $2 AND revoked_at IS NULL RETURNING id),
        changed AS (UPDATE ${s}.requests SET status = 'executed', version = version + 1,
            record = (record::jsonb || jsonb_build_object('status', 'executed'))::json
          WHERE id = $1 AND EXISTS (SELECT 1 FROM revoked) RETURNING id),
        q AS (${queue(4)} FROM changed)
        SELECT pg_notify($7, id) FROM changed`,
      values: [id, grantId, Date.now(), oa, ob, oc, channel],
    });
    report({ event: 'finished', cpu: cpuUs() });
  }
  await listener.end();
  await pool.query(`SELECT * FROM ${s}.seal_audit($1, hashtext($2), 1000, true)`, [0x6374, config.schema]);
  await pool.end();
  report({ event: 'sealed', waitedMs: [] });
  report({ event: 'done', cpu: cpuUs() });
}
