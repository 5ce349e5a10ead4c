// Case 6: the PostgreSQL store with an agent and an approval server as separate processes, against same-run baselines.
import type { PostgresStore } from '@countersign/postgres-store';
import pg from 'pg';
import { type CaseResult, formatNs, formatRate, type Row, summarise } from '../harness.js';
import { ratioTarget } from '../interleave.js';
import { appendRate, pagedRead, seedAudit } from '../pg/audit-rate.js';
import { countApprovals } from '../pg/count.js';
import { BackendCpu } from '../pg/cpu.js';
import { floorTables, hop } from '../pg/hop.js';
import { loadPg, loadStore } from '../pg/load-store.js';
import { pgbench, pgbenchInit } from '../pg/pgbench.js';
import { type RoundResult, round } from '../pg/round.js';

const URL_ = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `countersign_bench_${process.pid}`;
/** The floor's own schema: its entries are not core's, so they never join the chain case 6 verifies. */
const FLOOR_SCHEMA = `${SCHEMA}_floor`;
const POLL = '100ms';
/** Core's default: with LISTEN, a guard's polls are only the fallback for a lost NOTIFY. */
const LISTEN_POLL = '1s';
/** Another build's store (its `packages/postgres-store/dist/index.js`), run beside this one in the same rounds. */
const BEFORE = process.env.BENCH_PG_BEFORE;
const ROUNDS = Number(process.env.BENCH_PG_ROUNDS ?? 2);
const WORKERS = 4;
const MEASURED = 1_000;

/** The middle value; of an even count, the mean of the middle two (the upper one alone flattered rates). */
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const ms = (ns: number) => `${(ns / 1e6).toFixed(2)} ms`;

/** pgbench simple-update at `clients` for `seconds`, with the CPU of its server processes in between (approximate). */
async function pgbenchWithCpu(admin: pg.Client, schema: string, clients: number, seconds: number) {
  const cpu = new BackendCpu(admin, `csb_pgbench_${schema}`);
  const run = pgbench(URL_, schema, clients, seconds);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await cpu.mark();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, (seconds - 2) * 1_000));
  const used = await cpu.since();
  const span = (performance.now() - t0) / 1_000;
  const tps = (await run) ?? 0;
  return { tps, pgNsPerTx: cpu.available && tps > 0 ? used.ns / (tps * span) : null };
}

export async function postgres(): Promise<CaseResult> {
  const base = {
    id: '6',
    title: 'PostgreSQL store: agents and an approval server, each a process',
    rows: [],
    targets: [],
    notes: [],
  };
  const admin = new pg.Client({ connectionString: URL_ });
  try {
    await admin.connect();
  } catch (error) {
    return { ...base, skipped: `no PostgreSQL at ${URL_} (${(error as Error).message})` };
  }
  const { createPostgresStore } = await loadStore();
  const store = createPostgresStore({ connectionString: URL_, schema: SCHEMA }) as PostgresStore;
  const bench = `${SCHEMA}_pgbench`;
  const s = pg.escapeIdentifier(SCHEMA);
  try {
    await store.migrate();
    const floorStore = createPostgresStore({ connectionString: URL_, schema: FLOOR_SCHEMA });
    await floorStore.migrate();
    await floorStore.close();
    for (const sql of floorTables(s)) await admin.query(sql);
    await admin.query(`CREATE SCHEMA ${bench}`);
    await pgbenchInit(URL_, bench);
    const notes: string[] = [];

    // Statements per approval, two instances (agent, approval server) on two stores.
    const APPROVALS = 100;
    const counted = await countApprovals(URL_, SCHEMA, loadPg(), APPROVALS);
    const perApproval = counted.perApproval;

    // Decision → resume at idle against its baselines, alternating, all timed from the statement that commits.
    const hopSamples = { fromSend: [] as number[], fromAck: [] as number[] };
    const floorSamples = { fromSend: [] as number[], fromAck: [] as number[] };
    const resume: RoundResult[] = [];
    const idle = {
      url: URL_,
      schema: SCHEMA,
      workers: 1,
      warm: 20,
      measured: 150,
      notifications: true,
      pollInterval: LISTEN_POLL,
    };
    for (let r = 0; r < 2; r++) {
      const h = await hop(URL_, `hop${r}`, 200, null);
      const f = await hop(URL_, `floor${r}`, 200, s);
      hopSamples.fromSend.push(...h.fromSend);
      hopSamples.fromAck.push(...h.fromAck);
      floorSamples.fromSend.push(...f.fromSend);
      floorSamples.fromAck.push(...f.fromAck);
      resume.push(await round(admin, { ...idle, tag: `idle${r}` }));
    }
    const polling = await round(admin, {
      ...idle,
      tag: 'poll',
      warm: 3,
      measured: 30,
      notifications: false,
      pollInterval: POLL,
    });

    // Steady state: 4 agents and the approval server against pgbench at 4 clients, alternating.
    const steady = {
      url: URL_,
      schema: SCHEMA,
      workers: WORKERS,
      warm: 50,
      measured: MEASURED,
      notifications: true,
      pollInterval: LISTEN_POLL,
    };
    const ours: RoundResult[] = [];
    const before: RoundResult[] = [];
    const floor: RoundResult[] = [];
    const bench4: { tps: number; pgNsPerTx: number | null }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const steps = [
        async () => bench4.push(await pgbenchWithCpu(admin, bench, 4, 6)),
        async () => ours.push(await round(admin, { ...steady, tag: `steady${r}` })),
        async () =>
          floor.push(await round(admin, { ...steady, schema: FLOOR_SCHEMA, tag: `floor${r}`, floor: true })),
        ...(BEFORE
          ? [async () => before.push(await round(admin, { ...steady, tag: `before${r}`, store: BEFORE }))]
          : []),
      ];
      if (r % 2 === 1) steps.reverse();
      for (const step of steps) await step();
    }

    // Audit appends with 8 writers against pgbench at 8 clients, alternating.
    const appendLags: number[] = [];
    const writers = createPostgresStore({
      connectionString: URL_,
      schema: SCHEMA,
      notifications: false,
      onSeal: (event) => appendLags.push(...event.waitedMs),
    }) as PostgresStore;
    const appends: number[] = [];
    const tps8: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const baseline = async () => tps8.push((await pgbench(URL_, bench, 8, 3)) ?? 0);
      if (r % 2 === 0) await baseline();
      appends.push(await appendRate(writers, 8, 3_000));
      if (r % 2 === 1) await baseline();
    }
    await writers.close();

    // verify() against a plain paged read of the same rows, alternating.
    await seedAudit(store, 100_000);
    const { createCountersign } = await import('@countersign/core');
    const cs = createCountersign({ store, policy: [] });
    const verifyNs: number[] = [];
    const readNs: number[] = [];
    let verified = await cs.audit.verify();
    for (let r = 0; r < 3; r++) {
      const read = async () => readNs.push(await pagedRead(admin, s));
      if (r % 2 === 0) await read();
      const t0 = process.hrtime.bigint();
      verified = await cs.audit.verify();
      verifyNs.push(Number(process.hrtime.bigint() - t0));
      if (r % 2 === 1) await read();
    }
    await cs.close();

    const hopRow: Row = {
      ...summarise(
        'bare NOTIFY → LISTEN hop to another process, from sending the NOTIFY',
        hopSamples.fromSend,
      ),
      baseline: true,
    };
    const floorRow: Row = {
      ...summarise(
        'floor: a decision statement that NOTIFYs → the other process claims in one conditional statement (grant and audit row in it)',
        floorSamples.fromSend,
      ),
      baseline: true,
    };
    const resumeRow = summarise(
      "decision → resume in another process, LISTEN/NOTIFY, from sending the decision's statement",
      resume.flatMap((x) => x.resumeFromSend),
    );
    const hopAck = summarise("bare hop, from the NOTIFY's reply to the notifier", hopSamples.fromAck);
    const resumeAck = summarise(
      'decision → resume, from decide() returning',
      resume.flatMap((x) => x.resumeFromAck),
    );
    const pollRow: Row = {
      ...summarise(`decision → resume, polling every ${POLL} (no LISTEN)`, polling.resumeFromAck),
      baseline: true,
    };
    const rateOf = (rs: RoundResult[]) => median(rs.map((x) => x.rate));
    const nodeOf = (rs: RoundResult[]) => median(rs.map((x) => x.nodeNs));
    const pgOf = (rs: RoundResult[]) =>
      rs.some((x) => x.pgNs === null) ? null : median(rs.map((x) => x.pgNs!));
    const tps4 = median(bench4.map((x) => x.tps));
    const pgTx = bench4.some((x) => x.pgNsPerTx === null) ? null : median(bench4.map((x) => x.pgNsPerTx!));
    const steadyRow = (label: string, rs: RoundResult[]): Row => ({
      name: `${label}: ${WORKERS} agent processes, one approval server, steady state (${MEASURED} approvals after ${WORKERS * 50}; median of ${rs.length})`,
      value: `${formatRate(rateOf(rs))} approvals; CPU per approval: Node ${ms(nodeOf(rs))}, PostgreSQL ${pgOf(rs) === null ? 'n/a' : ms(pgOf(rs)!)}`,
    });
    const appendMedian = median(appends);
    const kinds = [...counted.kinds]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${(n / APPROVALS).toFixed(2)} ${k}`);
    const targets = [
      ratioTarget(
        'decision → resume p50 ≤ 5 × the bare NOTIFY hop, both from sending the notifying statement',
        resumeRow.p50,
        hopRow.p50,
        5,
      ),
      {
        what: 'statements per approval ≤ 7 (agent and approval server, two instances)',
        measured: `${perApproval.toFixed(2)} (${counted.statements} / ${APPROVALS}; ${(counted.seals / APPROVALS).toFixed(2)} seals)`,
        ok: perApproval <= 7,
      },
      {
        what: `approvals/s, ${WORKERS} workers, steady state ≥ 0.15 × pgbench simple-update at 4 clients`,
        measured: `${(rateOf(ours) / tps4).toFixed(3)} × (${formatRate(rateOf(ours))} / ${formatRate(tps4)})`,
        ok: rateOf(ours) >= 0.15 * tps4,
      },
      {
        what: `the floor's approvals/s, same rounds, ≥ 0.15 × pgbench at 4 clients (reported: what the best honest code reaches)`,
        measured: `${(rateOf(floor) / tps4).toFixed(3)} × (${formatRate(rateOf(floor))} / ${formatRate(tps4)}); this build is ${(rateOf(ours) / rateOf(floor)).toFixed(2)} × the floor, its CPU per approval ${((nodeOf(ours) + (pgOf(ours) ?? 0)) / (nodeOf(floor) + (pgOf(floor) ?? 0))).toFixed(2)} × the floor's`,
        ok: rateOf(floor) >= 0.15 * tps4,
      },
      ...(BEFORE
        ? [
            {
              what: 'CPU per approval (Node + PostgreSQL) ≤ 0.5 × before, same run',
              measured: (() => {
                const now = nodeOf(ours) + (pgOf(ours) ?? 0);
                const then = nodeOf(before) + (pgOf(before) ?? 0);
                return `${(now / then).toFixed(2)} × (${ms(now)} / ${ms(then)}; Node ${(nodeOf(ours) / nodeOf(before)).toFixed(2)} ×, PostgreSQL ${pgOf(before) ? ((pgOf(ours) ?? 0) / pgOf(before)!).toFixed(2) : 'n/a'} ×)`;
              })(),
              ok: nodeOf(ours) + (pgOf(ours) ?? 0) <= 0.5 * (nodeOf(before) + (pgOf(before) ?? 0)),
            },
          ]
        : []),
      {
        what: 'audit appends/s, 8 writers ≥ 0.5 × pgbench simple-update, 8 clients',
        measured: `${(appendMedian / median(tps8)).toFixed(2)} × (${formatRate(appendMedian)} / ${formatRate(median(tps8))})`,
        ok: appendMedian >= 0.5 * median(tps8),
      },
      ratioTarget('verify ≤ 2 × a plain paged read', median(verifyNs), median(readNs), 2),
      {
        what: 'the audit chain case 6 wrote verifies',
        measured: `${verified.entries} entries, ok: ${verified.ok}`,
        ok: verified.ok,
      },
    ];
    if (!BEFORE)
      notes.push(
        "CPU per approval before/after: set BENCH_PG_BEFORE to another build's packages/postgres-store/dist/index.js to run it in the same rounds",
      );
    return {
      ...base,
      rows: [
        hopRow,
        floorRow,
        resumeRow,
        { ...hopAck, baseline: true },
        resumeAck,
        pollRow,
        {
          name: 'statements per approval (agent and approval server, two instances, sequential)',
          value: `${perApproval.toFixed(2)} (${(counted.seals / APPROVALS).toFixed(2)} seals)`,
        },
        {
          name: `pgbench -b simple-update, 4 clients (median of ${bench4.length})`,
          value: `${formatRate(tps4)} transactions; PostgreSQL CPU per transaction ${pgTx === null ? 'n/a' : ms(pgTx)}`,
          baseline: true,
        },
        steadyRow('this build', ours),
        {
          ...steadyRow(
            'floor, no core (pg-floor.ts: 6 statements per approval, a seal every 100 ms, same tables, chain and NOTIFYs)',
            floor,
          ),
          baseline: true,
        },
        ...(BEFORE ? [{ ...steadyRow('before (BENCH_PG_BEFORE)', before), baseline: true }] : []),
        {
          name: `pgbench -b simple-update, 8 clients (median of ${tps8.length})`,
          value: `${formatRate(median(tps8))} transactions`,
          baseline: true,
        },
        {
          name: `store.appendAudit(), 8 concurrent writers, one entry each, until chained (median of ${appends.length})`,
          value: `${formatRate(appendMedian)} entries`,
        },
        summarise(
          'sealing lag, 8 writers: write statement → the seal that chained it (per write)',
          appendLags.map((x) => x * 1e6),
        ),
        summarise(
          `sealing lag, ${WORKERS} agent processes (their own writes, per write)`,
          ours.flatMap((x) => x.sealLags).map((x) => x * 1e6),
        ),
        {
          name: `plain paged read of the ${verified.entries.toLocaleString('en-US')} entries (median of 3)`,
          value: formatNs(median(readNs)),
          baseline: true,
        },
        { name: 'cs.audit.verify() of the same (median of 3)', value: formatNs(median(verifyNs)) },
      ],
      targets,
      notes: [
        ...notes,
        `statements counted by wrapping the store's pg.Client.prototype.query (pools and LISTEN connections of both stores), ${APPROVALS} approvals after 10, seals due within 200 ms after included; per approval: ${kinds.join('; ')}`,
        `every latency on CLOCK_MONOTONIC (process.hrtime.bigint()), read in the process that sends the notifying statement and in the one that resumes; from the reply instead: resume ${formatNs(resumeAck.p50)} p50, hop ${formatNs(hopAck.p50)} p50 (the hop can arrive before the reply)`,
        `the floor is ${((floorRow.p50 ?? 0) / (hopRow.p50 ?? 1)).toFixed(2)} × the hop: what a woken agent must do before its action may run, with nothing else (resume is ${((resumeRow.p50 ?? 0) / (floorRow.p50 ?? 1)).toFixed(2)} × the floor)`,
        `floor rounds: ${floor.map((x) => `${formatRate(x.rate)}; ${ms(x.nodeNs)}, ${x.pgNs === null ? 'n/a' : ms(x.pgNs)}`).join(' | ')}`,
        `steady rounds (approvals/s; Node, PostgreSQL CPU per approval): ${ours.map((x) => `${formatRate(x.rate)}; ${ms(x.nodeNs)}, ${x.pgNs === null ? 'n/a' : ms(x.pgNs)}`).join(' | ')}${BEFORE ? `; before: ${before.map((x) => `${formatRate(x.rate)}; ${ms(x.nodeNs)}, ${x.pgNs === null ? 'n/a' : ms(x.pgNs)}`).join(' | ')}` : ''}; pgbench 4 clients: ${bench4.map((x) => formatRate(x.tps)).join(', ')}`,
        'PostgreSQL CPU: /proc/<pid>/schedstat of the server processes whose application_name the round set (pooled and LISTEN connections); background processes (WAL writer, checkpointer, autovacuum) are not counted, for pgbench either',
        `appends/s per round: ${appends.map((a) => formatRate(a)).join(', ')}; pgbench 8 clients: ${tps8.map((t) => formatRate(t)).join(', ')}`,
        `audit chain of ${verified.entries} entries verifies: ${verified.ok}`,
      ],
    };
  } finally {
    await store.close().catch(() => {});
    await admin.query(`drop schema if exists ${SCHEMA} cascade`);
    await admin.query(`drop schema if exists ${bench} cascade`);
    await admin.query(`drop schema if exists ${FLOOR_SCHEMA} cascade`);
    await admin.end();
  }
}
