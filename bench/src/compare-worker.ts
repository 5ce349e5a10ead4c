import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Core from '@countersign/core';
import type * as CoreTesting from '@countersign/core/testing';
import type * as MemoryStore from '@countersign/memory-store';
import type * as PostgresStore from '@countersign/postgres-store';
import type pg from 'pg';
import { draft } from './cases/audit-log.js';
import { BENCH_RETENTION, CONTEXT, DIRECTORY, EXPORT, POLICY, READ } from './fixtures.js';
import { summarise } from './harness.js';
import { countQueries, sequentialApprovals } from './pg/count.js';

/**
 * One measurement of the built packages of the checkout at `root`, printed as JSON; run by
 * compare.ts, one process per measurement, so the two checkouts never share a heap or a JIT.
 */
const [root = '.', which = 'allow', count = '20000', agentConfig = '{}'] = process.argv.slice(2);
const n = Number(count);
const load = <T>(path: string) => import(pathToFileURL(`${root}/packages/${path}`).href) as Promise<T>;
const core = await load<typeof Core>('core/dist/index.js');
const testing = await load<typeof CoreTesting>('core/dist/testing/index.js');
const { createMemoryStore } = await load<typeof MemoryStore>('memory-store/dist/index.js');

const countersign = (transports: Core.Transport[] = []) =>
  core.createCountersign({
    store: createMemoryStore({ retention: BENCH_RETENTION }),
    directory: DIRECTORY,
    policy: POLICY,
    transports,
  });

async function sample(fn: () => Promise<unknown>, warmup: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    if (i >= warmup) samples.push(Number(process.hrtime.bigint() - t0));
  }
  return samples;
}

let result: Record<string, number | undefined>;
const cpuAtStart = process.cpuUsage();
if (which === 'allow') {
  const cs = countersign();
  const action = {
    ...READ,
    run: async (grant: Core.Grant) => {
      await cs.grants.consume(grant.token, { ...READ, sessionId: CONTEXT.sessionId });
      return 1;
    },
  };
  const { p50, p99 } = summarise('allow', await sample(() => cs.guard(action, CONTEXT), 5_000));
  result = { p50, p99 };
} else if (which === 'round') {
  const transport = testing.createRecordingTransport();
  const cs = countersign([transport]);
  const action = { ...EXPORT, run: () => 1 };
  const round = async () => {
    const done = cs.guard(action, CONTEXT);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await done;
  };
  const { p50, p99 } = summarise('round', await sample(round, 2_000));
  result = { p50, p99 };
} else if (which === 'audit') {
  const store = createMemoryStore();
  const drafts = Array.from({ length: n }, (_, i) => draft(i));
  let t0 = process.hrtime.bigint();
  for (const draft of drafts) await store.appendAudit([draft]);
  const append = Number(process.hrtime.bigint() - t0) / n;
  const cs = core.createCountersign({ store, policy: [] });
  t0 = process.hrtime.bigint();
  const verified = await cs.audit.verify();
  if (!verified.ok) throw new Error('verify() failed on a good chain');
  result = { append, verify: Number(process.hrtime.bigint() - t0) / n };
} else if (which === 'pending') {
  const ids: string[] = [];
  const cs = countersign([{ name: 'ids', deliver: async (request) => void ids.push(request.id) }]);
  const actions = Array.from({ length: n }, (_, i) => ({ ...EXPORT, params: { row: i }, run: () => i }));
  const heap = () => {
    globalThis.gc?.();
    return process.memoryUsage().heapUsed;
  };
  const before = heap();
  const guards = actions.map((action) => cs.guard(action, CONTEXT));
  while (ids.length < n) await new Promise((resolve) => setImmediate(resolve));
  const heapPerRequest = (heap() - before) / n;
  const order = ids.map((id) => ({ id, key: Math.random() })).sort((a, b) => a.key - b.key);
  const t0 = process.hrtime.bigint();
  const decided = order.map(({ id }) => cs.decide(id, { approver: 'user:bob', outcome: 'approve' }));
  await Promise.all(guards);
  result = { settle: Number(process.hrtime.bigint() - t0), heapPerRequest };
  await Promise.all(decided);
} else if (which === 'pg') {
  result = await postgresMeasurement();
} else if (which === 'pg-agent') {
  await postgresAgent(JSON.parse(agentConfig) as { url: string; schema: string; worker: number });
  result = {};
} else {
  throw new Error(`unknown measurement ${which}: allow, round, audit, pending or pg`);
}
if (which !== 'pg' && which !== 'pg-agent') {
  // CPU time of the whole measurement, warm-up included, per operation: steadier than the wall
  // clock on a shared host, where other processes take turns on the cores.
  const cpu = process.cpuUsage(cpuAtStart);
  result.cpuNsPerOp = ((cpu.user + cpu.system) * 1000) / n;
}
console.log(JSON.stringify(result));
process.exit(0);

/**
 * PostgreSQL through the checkout's built store, in a schema of its own: round trips per
 * approval (every query of this process counted, approvals one after another), approvals per
 * second with 4 worker processes of `n / 4` exports each and this process approving, and audit
 * appends per second with 8 concurrent writers for 2 s, counted once chained: a store that seals
 * in batches (`seal()`) is timed until it has chained them all, and its sealing lag (write →
 * chained, per write, from `onSeal`) is reported too.
 */
async function postgresMeasurement(): Promise<Record<string, number>> {
  const url = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `countersign_cmp_${process.pid}`;
  const { createPostgresStore } = await load<typeof PostgresStore>('postgres-store/dist/index.js');
  // The pg that checkout's store loads: counting must wrap its Client, not this checkout's.
  const pgModule = createRequire(`${root}/packages/postgres-store/package.json`)('pg') as typeof pg;
  const sealLags: number[] = [];
  // Options an older store does not know are ignored by it.
  const store = createPostgresStore({
    connectionString: url,
    schema,
    onSeal: (event: { waitedMs: number[] }) => sealLags.push(...event.waitedMs),
  } as PostgresStore.PostgresStoreOptions) as PostgresStore.PostgresStore & { seal?: () => Promise<number> };
  try {
    await store.migrate();
    const cs = core.createCountersign({ store, policy: POLICY, directory: DIRECTORY });
    await sequentialApprovals(cs, 5, 'warm');
    const counted = await countQueries(pgModule, () => sequentialApprovals(cs, 30, 'count'));

    const perWorker = Math.max(1, Math.floor(n / 4));
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    const decisions: Promise<unknown>[] = [];
    const self = fileURLToPath(import.meta.url);
    await Promise.all(
      Array.from({ length: 4 }, (_, worker) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            self,
            root,
            'pg-agent',
            String(perWorker),
            JSON.stringify({ url, schema, worker }),
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        createInterface({ input: child.stdout }).on('line', (line) => {
          const event = JSON.parse(line) as { event: string; id?: string };
          if (event.event === 'requested' && event.id) {
            first = Math.min(first, performance.now());
            decisions.push(cs.decide(event.id, { approver: 'user:bob', outcome: 'approve', via: 'bench' }));
          } else if (event.event === 'ran') {
            last = performance.now();
          }
        });
        return new Promise<void>((resolve, reject) =>
          child.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`pg-agent exited with ${code}`)),
          ),
        );
      }),
    );
    await Promise.all(decisions);
    const approvalsPerSecond = (4 * perWorker) / ((last - first) / 1000);

    sealLags.length = 0;
    let appended = 0;
    const end = performance.now() + 2_000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        while (performance.now() < end) {
          await store.appendAudit([draft(w * 1e9 + appended)]);
          appended += 1;
        }
      }),
    );
    await store.seal?.();
    const appendsPerSecond = appended / ((performance.now() - t0) / 1000);
    await cs.close();
    const lags = [...sealLags].sort((a, b) => a - b);
    const at = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? 0;
    return {
      roundTripsPerApproval: counted.statements / 30,
      sealsPerApproval: counted.seals / 30,
      approvalsPerSecond,
      appendsPerSecond,
      appendSealLagP50Ms: at(0.5),
      appendSealLagP99Ms: at(0.99),
    };
  } finally {
    const admin = new pgModule.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

/** One worker process of the `pg` measurement: guards `n` exports one after another, reporting each. */
async function postgresAgent(config: { url: string; schema: string; worker: number }): Promise<void> {
  const { createPostgresStore } = await load<typeof PostgresStore>('postgres-store/dist/index.js');
  const report = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
  const cs = core.createCountersign({
    store: createPostgresStore({ connectionString: config.url, schema: config.schema }),
    policy: POLICY,
    directory: DIRECTORY,
    pollInterval: '100ms',
  });
  cs.on('requested', (event) => report({ event: 'requested', id: event.request?.id }));
  for (let i = 0; i < n; i++) {
    const params = { ...EXPORT.params, worker: config.worker, job: i };
    await cs.guard(
      {
        ...EXPORT,
        params,
        run: async (grant) => {
          report({ event: 'ran', id: grant.requestId });
          await cs.grants.consume(grant.token, { ...EXPORT, params, sessionId: CONTEXT.sessionId });
        },
      },
      CONTEXT,
    );
  }
  await cs.close();
}
