import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Countersign, type CountersignEvent, createCountersign } from '@countersign/core';
import type { PostgresStore } from '@countersign/postgres-store';
import pg from 'pg';
import { CONTEXT, DIRECTORY, EXPORT, POLICY } from '../fixtures.js';
import { type CaseResult, formatNs, formatRate, type Row, summarise } from '../harness.js';
import { ratioTarget } from '../interleave.js';
import { draft } from './audit-log.js';

const URL_ = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `countersign_bench_${process.pid}`;
const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url));
const POLL = '100ms';

type Event = { event: string; id?: string; at?: number; waitedMs?: number[] };

function worker(config: Record<string, unknown>, onEvent: (event: Event) => void): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--conditions=@countersign/source', '--import', 'tsx', 'src/pg-agent.ts', JSON.stringify(config)],
    { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  createInterface({ input: child.stdout }).on('line', (line) => onEvent(JSON.parse(line) as Event));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`)))),
  );
}

/**
 * Runs `workers` processes of `jobs` exports each; this process approves every request as soon
 * as it is reported. Latency: from `decide()` returning here to `run` starting in the worker.
 */
async function round(
  cs: Countersign,
  options: { workers: number; jobs: number; notifications: boolean },
): Promise<{ latencies: number[]; seconds: number; sealLags: number[] }> {
  const decidedAt = new Map<string, number>();
  const latencies: number[] = [];
  const sealLags: number[] = [];
  const decisions: Promise<unknown>[] = [];
  // From the first request to the last run, so process start-up is not counted.
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  await Promise.all(
    Array.from({ length: options.workers }, (_, i) =>
      worker(
        {
          url: URL_,
          schema: SCHEMA,
          notifications: options.notifications,
          pollInterval: POLL,
          jobs: options.jobs,
          worker: i,
        },
        (event) => {
          if (event.event === 'requested' && event.id) {
            const id = event.id;
            first = Math.min(first, performance.now());
            decisions.push(
              cs.decide(id, { approver: 'user:bob', outcome: 'approve', via: 'bench' }).then(() => {
                decidedAt.set(id, performance.timeOrigin + performance.now());
              }),
            );
          } else if (event.event === 'ran' && event.id && event.at !== undefined) {
            last = performance.now();
            const decided = decidedAt.get(event.id);
            if (decided !== undefined) latencies.push((event.at - decided) * 1e6);
          } else if (event.event === 'sealed' && event.waitedMs) {
            sealLags.push(...event.waitedMs);
          }
        },
      ),
    ),
  );
  await Promise.all(decisions);
  return { latencies, seconds: (last - first) / 1000, sealLags };
}

/**
 * Counts every query any pg client in this process sends (each is one round trip) while `fn`
 * runs; `seals` of them are the store's audit seals (`seal_audit()`), counted in `queries` too.
 */
export async function countQueries<T>(
  pgModule: typeof pg,
  fn: () => Promise<T>,
): Promise<{ result: T; queries: number; begins: number; seals: number }> {
  const proto = pgModule.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let queries = 0;
  let begins = 0;
  let seals = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    queries += 1;
    if (typeof args[0] === 'string' && args[0] === 'BEGIN') begins += 1;
    if (typeof args[0] === 'string' && args[0].includes('seal_audit(')) seals += 1;
    return original.apply(this, args);
  };
  try {
    return { result: await fn(), queries, begins, seals };
  } finally {
    proto.query = original;
  }
}

/** Approvals one after another in this process (guard, decide, wake, grant, run, consume, revoke). */
export async function sequentialApprovals(cs: Countersign, n: number, tag: string): Promise<void> {
  const requested = new Map<number, (id: string) => void>();
  const listener = (event: CountersignEvent) => {
    const params = event.request?.action.params as { tag?: string; job?: number } | undefined;
    if (params?.tag === tag && params.job !== undefined) requested.get(params.job)?.(event.request!.id);
  };
  cs.on('requested', listener);
  try {
    for (let i = 0; i < n; i++) {
      const params = { ...EXPORT.params, tag, job: i };
      const waiting = new Promise<string>((resolve) => requested.set(i, resolve));
      const done = cs.guard(
        {
          ...EXPORT,
          params,
          run: async (grant) => {
            await cs.grants.consume(grant.token, { ...EXPORT, params, sessionId: CONTEXT.sessionId });
          },
        },
        CONTEXT,
      );
      await cs.decide(await waiting, { approver: 'user:bob', outcome: 'approve', via: 'bench' });
      await done;
    }
  } finally {
    cs.off('requested', listener);
  }
}

/**
 * Time from sending NOTIFY on one connection to its arrival on another that LISTENs, in ns. With
 * `claim`, also until a third connection has read one row and committed a one-row UPDATE: the
 * least a woken guard does before its action may run (read the decision, commit its claim).
 */
async function notifyHop(n: number, claim = false): Promise<number[]> {
  const listener = new pg.Client({ connectionString: URL_ });
  const notifier = new pg.Client({ connectionString: URL_ });
  await listener.connect();
  await notifier.connect();
  const channel = `${SCHEMA}_hop`;
  await listener.query(`LISTEN ${channel}`);
  const worker = new pg.Client({ connectionString: URL_ });
  await worker.connect();
  const samples: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const arrived = new Promise<bigint>((resolve) =>
        listener.once('notification', async () => {
          if (claim) {
            await worker.query(`SELECT n FROM ${SCHEMA}.bench_row WHERE id = 1`);
            await worker.query(`UPDATE ${SCHEMA}.bench_row SET n = n + 1 WHERE id = 1`);
          }
          resolve(process.hrtime.bigint());
        }),
      );
      const t0 = process.hrtime.bigint();
      await notifier.query('SELECT pg_notify($1, $2)', [channel, `req_${i}`]);
      samples.push(Number((await arrived) - t0));
    }
  } finally {
    await listener.end();
    await notifier.end();
    await worker.end();
  }
  return samples;
}

/** One connection committing a one-row UPDATE at a time for `ms`: the most commits/s one serial chain can make. */
async function serialCommits(ms: number): Promise<number> {
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  let count = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  while (performance.now() < end) {
    await client.query(`UPDATE ${SCHEMA}.bench_row SET n = n + 1 WHERE id = 1`);
    count += 1;
  }
  await client.end();
  return count / ((performance.now() - t0) / 1000);
}

/**
 * `writers` loops appending one entry per call for `ms`; entries per second, counted once
 * chained: the time runs until `seal()` has chained what was still queued when they stopped.
 */
async function appendRate(store: PostgresStore, writers: number, ms: number): Promise<number> {
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

/**
 * `pgbench -b simple-update` at `clients` clients for `seconds`, in a schema of its own on the
 * same server; transactions per second, or null when pgbench is missing.
 */
async function pgbench(schema: string, clients: number, seconds: number): Promise<number | null> {
  const out = await runPgbench(schema, [
    '-n',
    '-b',
    'simple-update',
    '-c',
    String(clients),
    '-j',
    '2',
    '-T',
    String(seconds),
  ]);
  const tps = /tps = ([\d.]+)/.exec(out);
  return tps ? Number(tps[1]) : null;
}

/** `pgbench -i -s 1` in `schema`: the tables `pgbench -b simple-update` works on. */
async function pgbenchInit(schema: string): Promise<void> {
  await runPgbench(schema, ['-i', '-q', '-s', '1']);
}

/** Runs pgbench with `extra` against the bench's database, its tables in `schema`; its stdout. */
function runPgbench(schema: string, extra: string[]): Promise<string> {
  const url = new URL(URL_);
  const connection = [
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username || 'postgres'),
  ];
  const db = url.pathname.slice(1) || 'postgres';
  const env = {
    ...process.env,
    PGOPTIONS: `-c search_path=${schema}`,
    PGPASSWORD: decodeURIComponent(url.password),
  };
  return new Promise<string>((resolve, reject) =>
    execFile(PGBENCH, [...connection, ...extra, db], { env }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

const PGBENCH =
  [process.env.PGBENCH, '/usr/lib/postgresql/15/bin/pgbench'].find((p) => p && existsSync(p)) ?? 'pgbench';
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function postgres(): Promise<CaseResult> {
  const base = { id: '6', title: 'PostgreSQL store across processes', rows: [], targets: [], notes: [] };
  let createPostgresStore: typeof import('@countersign/postgres-store').createPostgresStore;
  try {
    ({ createPostgresStore } = await import('@countersign/postgres-store'));
  } catch {
    return { ...base, skipped: 'packages/postgres-store does not export createPostgresStore yet' };
  }
  const admin = new pg.Client({ connectionString: URL_ });
  try {
    await admin.connect();
  } catch (error) {
    return { ...base, skipped: `no PostgreSQL at ${URL_} (${(error as Error).message})` };
  }
  const store = createPostgresStore({ connectionString: URL_, schema: SCHEMA });
  const bench = `${SCHEMA}_pgbench`;
  try {
    await store.migrate();
    const cs = createCountersign({ store, policy: POLICY, directory: DIRECTORY });
    const notes: string[] = [];

    await sequentialApprovals(cs, 5, 'warm');
    const APPROVALS = 50;
    const counted = await countQueries(pg, () => sequentialApprovals(cs, APPROVALS, 'count'));
    const perApproval = counted.queries / APPROVALS;

    await admin.query(`CREATE TABLE ${SCHEMA}.bench_row (id integer PRIMARY KEY, n integer NOT NULL)`);
    await admin.query(`INSERT INTO ${SCHEMA}.bench_row VALUES (1, 0)`);
    const hop: number[] = await notifyHop(300);
    const claimFloor: number[] = await notifyHop(150, true);
    await round(cs, { workers: 1, jobs: 20, notifications: true });
    const notify = await round(cs, { workers: 1, jobs: 200, notifications: true });
    hop.push(...(await notifyHop(300)));
    claimFloor.push(...(await notifyHop(150, true)));
    const polling = await round(cs, { workers: 1, jobs: 50, notifications: false });
    const four = await round(cs, { workers: 4, jobs: 200, notifications: true });
    const rate = (4 * 200) / four.seconds;
    const queueRows = async () =>
      Number((await admin.query(`SELECT count(*) AS n FROM ${SCHEMA}.audit_queue`)).rows[0].n);

    // Audit appends with 8 writers against pgbench at 8 clients, alternating, 3 rounds.
    let pgbenchMissing: string | null = null;
    await admin.query(`CREATE SCHEMA ${bench}`);
    try {
      await pgbenchInit(bench);
    } catch (error) {
      pgbenchMissing = (error as Error).message.split('\n')[0] ?? 'pgbench failed';
    }
    // Sealing lag: per write, from its statement to the seal that chained it (database clock).
    const appendLags: number[] = [];
    const writers = createPostgresStore({
      connectionString: URL_,
      schema: SCHEMA,
      notifications: false,
      onSeal: (event) => appendLags.push(...event.waitedMs),
    });
    const appends: number[] = [];
    const tps: number[] = [];
    const serial: number[] = [];
    const baselineName =
      pgbenchMissing === null
        ? 'pgbench -b simple-update, 8 clients'
        : 'one-statement INSERT loop, 8 clients';
    for (let r = 0; r < 3; r++) {
      const baseline = async () =>
        tps.push(
          pgbenchMissing === null ? ((await pgbench(bench, 8, 3)) ?? 0) : await insertLoop(bench, 8, 3_000),
        );
      if (r % 2 === 0) await baseline();
      appends.push(await appendRate(writers, 8, 3_000));
      serial.push(await serialCommits(2_000));
      if (r % 2 === 1) await baseline();
    }
    await writers.close();

    // verify() against a plain paged read of the same rows, alternating, 3 rounds.
    for (let i = 0; i < 100_000; i += 100) {
      await store.appendAudit(Array.from({ length: 100 }, (_, k) => draft(i + k)));
    }
    const verifyNs: number[] = [];
    const readNs: number[] = [];
    let verified = await cs.audit.verify();
    for (let r = 0; r < 3; r++) {
      const read = async () => readNs.push(await pagedRead(admin));
      if (r % 2 === 0) await read();
      const t0 = process.hrtime.bigint();
      verified = await cs.audit.verify();
      verifyNs.push(Number(process.hrtime.bigint() - t0));
      if (r % 2 === 1) await read();
    }
    const leftQueued = await queueRows();
    await cs.close();
    const appendLagRow: Row = summarise(
      'sealing lag, 8 writers: write statement → the seal that chained it (per write)',
      appendLags.map((ms) => ms * 1e6),
    );
    const workerLagRow: Row = summarise(
      'sealing lag, 4 worker processes (their own writes, per write)',
      four.sealLags.map((ms) => ms * 1e6),
    );

    const notifyRow: Row = summarise('decision → resume in another process, LISTEN/NOTIFY', notify.latencies);
    const hopRow: Row = {
      ...summarise('bare NOTIFY → LISTEN hop between two connections', hop),
      baseline: true,
    };
    const claimRow: Row = {
      ...summarise('floor: the same hop, then one read and one committed one-row UPDATE', claimFloor),
      baseline: true,
    };
    const pollRow: Row = {
      ...summarise(`decision → resume in another process, polling every ${POLL}`, polling.latencies),
      baseline: true,
    };
    const appendMedian = median(appends);
    const tpsMedian = median(tps);
    if (pgbenchMissing !== null)
      notes.push(`pgbench unavailable (${pgbenchMissing}): baseline is a bare INSERT loop`);
    return {
      ...base,
      rows: [
        hopRow,
        claimRow,
        pollRow,
        notifyRow,
        {
          name: 'round trips per approval (in one process: request, decide, wake, grant, run, consume, revoke)',
          value: `${perApproval.toFixed(1)} (${(counted.begins / APPROVALS).toFixed(1)} BEGINs, ${(counted.seals / APPROVALS).toFixed(1)} seals)`,
        },
        { name: '4 worker processes, one approver process', value: `${formatRate(rate)} approvals` },
        {
          name: `${baselineName} (median of 3)`,
          value: `${formatRate(tpsMedian)} transactions`,
          baseline: true,
        },
        {
          name: 'floor: one connection, one committed one-row UPDATE at a time (median of 3)',
          value: `${formatRate(median(serial))} commits`,
          baseline: true,
        },
        {
          name: 'store.appendAudit(), 8 concurrent writers, one entry each, until chained (median of 3)',
          value: `${formatRate(appendMedian)} entries`,
        },
        appendLagRow,
        workerLagRow,
        {
          name: `plain paged read of the ${verified.entries.toLocaleString('en-US')} entries (median of 3)`,
          value: formatNs(median(readNs)),
          baseline: true,
        },
        { name: `cs.audit.verify() of the same (median of 3)`, value: formatNs(median(verifyNs)) },
      ],
      targets: [
        {
          what: 'round trips per approval ≤ 12',
          measured: `${perApproval.toFixed(1)} (${counted.queries} queries / ${APPROVALS} approvals)`,
          ok: perApproval <= 12,
        },
        {
          what: `audit appends/s, 8 writers ≥ 0.5 × ${baselineName}`,
          measured: `${(appendMedian / tpsMedian).toFixed(2)} × (${formatRate(appendMedian)} / ${formatRate(tpsMedian)})`,
          ok: appendMedian >= 0.5 * tpsMedian,
        },
        ratioTarget('decision → resume p50 ≤ 5 × the bare NOTIFY → LISTEN hop', notifyRow.p50, hopRow.p50, 5),
        ratioTarget('verify ≤ 2 × a plain paged read', median(verifyNs), median(readNs), 2),
      ],
      notes: [
        ...notes,
        `approvals/s with 4 workers has its target (≥ 3 × the code before) in compare mode: \`pnpm --filter @countersign/bench compare <before> pg\``,
        `what stops the resume latency target: a woken guard reads its decision and commits its claim before the action runs, ${formatNs(claimRow.p50)} p50 with nothing else (resume is ${(notifyRow.p50! / claimRow.p50!).toFixed(2)} × that)`,
        `appends queue their entries with the write and one sealer at a time chains them in batches, so appends/s is no longer capped by one connection's serial commit rate, ${formatRate(median(serial))} (appends reach ${(appendMedian / median(serial)).toFixed(2)} × that); the cost is the sealing lag above, during which a queued entry is durable but not yet tamper-evident (seal samples: ${appendLags.length} writes, ${four.sealLags.length} in the workers)`,
        `audit_queue rows left after verify(): ${leftQueued}`,
        `round trips counted by wrapping pg.Client.prototype.query: every pooled and listening connection of this process, ${counted.queries} for ${APPROVALS} approvals`,
        `appends/s per round: ${appends.map((a) => formatRate(a)).join(', ')}; ${baselineName}: ${tps.map((t) => formatRate(t)).join(', ')}`,
        `audit chain of ${verified.entries} entries verifies: ${verified.ok}`,
      ],
    };
  } finally {
    await admin.query(`drop schema if exists ${SCHEMA} cascade`);
    await admin.query(`drop schema if exists ${bench} cascade`);
    await admin.end();
  }
}

/** The fallback baseline without pgbench: 8 connections each running one-statement INSERTs; per second. */
async function insertLoop(schema: string, clients: number, ms: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: URL_, max: clients });
  await pool.query(`CREATE TABLE IF NOT EXISTS ${schema}.bare (id bigserial PRIMARY KEY, body text)`);
  let count = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        await pool.query(`INSERT INTO ${schema}.bare (body) VALUES ($1)`, ['x'.repeat(600)]);
        count += 1;
      }
    }),
  );
  await pool.end();
  return count / ((performance.now() - t0) / 1000);
}

/** Every audit row, 1,000 per page, as core's verify() pages: no parsing beyond pg's, no hashing. */
async function pagedRead(client: pg.Client): Promise<number> {
  const t0 = process.hrtime.bigint();
  let after = 0;
  for (;;) {
    const { rows } = await client.query<{ seq: string; entry: unknown }>(
      `SELECT seq, entry FROM ${SCHEMA}.audit WHERE seq > $1 ORDER BY seq LIMIT 1000`,
      [after],
    );
    if (rows.length === 0) break;
    after = Number(rows[rows.length - 1]!.seq);
  }
  return Number(process.hrtime.bigint() - t0);
}
