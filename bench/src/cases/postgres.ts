import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Countersign, createCountersign } from '@countersign/core';
import pg from 'pg';
import { DIRECTORY, POLICY } from '../fixtures.js';
import { type CaseResult, formatNs, formatRate, type Row, summarise } from '../harness.js';

const URL_ = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `countersign_bench_${process.pid}`;
const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url));
const POLL = '100ms';

type Event = { event: string; id?: string; at?: number };

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
): Promise<{ latencies: number[]; seconds: number }> {
  const decidedAt = new Map<string, number>();
  const latencies: number[] = [];
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
          }
        },
      ),
    ),
  );
  await Promise.all(decisions);
  return { latencies, seconds: (last - first) / 1000 };
}

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
  try {
    await store.migrate();
    const cs = createCountersign({ store, policy: POLICY, directory: DIRECTORY });
    await round(cs, { workers: 1, jobs: 20, notifications: true });
    const notify = await round(cs, { workers: 1, jobs: 200, notifications: true });
    const polling = await round(cs, { workers: 1, jobs: 100, notifications: false });
    const four = await round(cs, { workers: 4, jobs: 200, notifications: true });
    const verified = await cs.audit.verify();
    await cs.close();
    const rate = (4 * 200) / four.seconds;
    const notifyRow: Row = summarise('decision → resume in another process, LISTEN/NOTIFY', notify.latencies);
    const pollRow: Row = {
      ...summarise(`decision → resume in another process, polling every ${POLL}`, polling.latencies),
      baseline: true,
    };
    return {
      ...base,
      rows: [
        pollRow,
        notifyRow,
        { name: '4 worker processes, one approver process', value: `${formatRate(rate)} approvals` },
      ],
      targets: [],
      notes: [
        `no targets set by the issue; p50 with notifications ${formatNs(notifyRow.p50)}, with polling ${formatNs(pollRow.p50)}`,
        `each approval: request, deliver (none: decided through the API), decide, wake, grant, run, consume, revoke, audit; audit chain of ${verified.entries} entries verifies: ${verified.ok}`,
      ],
    };
  } finally {
    await admin.query(`drop schema if exists ${SCHEMA} cascade`);
    await admin.end();
  }
}
