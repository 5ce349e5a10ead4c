import { pathToFileURL } from 'node:url';
import type * as Core from '@countersign/core';
import type * as CoreTesting from '@countersign/core/testing';
import type * as MemoryStore from '@countersign/memory-store';
import { draft } from './cases/audit-log.js';
import { BENCH_RETENTION, CONTEXT, DIRECTORY, EXPORT, POLICY, READ } from './fixtures.js';
import { summarise } from './harness.js';

/**
 * One measurement of the built packages of the checkout at `root`, printed as JSON; run by
 * compare.ts, one process per measurement, so the two checkouts never share a heap or a JIT.
 */
const [root = '.', which = 'allow', count = '20000'] = process.argv.slice(2);
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
} else {
  throw new Error(`unknown measurement ${which}: allow, round, audit or pending`);
}
console.log(JSON.stringify(result));
process.exit(0);
