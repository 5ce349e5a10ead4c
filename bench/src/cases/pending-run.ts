// Case 4's measurement: 10,000 guards waiting at once in this process, then decided; run in a process of its own.
import { promiseHooks } from 'node:v8';
import type { ApprovalRequest, Transport } from '@countersign/core';
import { CONTEXT, createBenchCountersign, createCountingClock, EXPORT } from '../fixtures.js';
import { heapUsed, shuffle } from '../harness.js';

export const PENDING = 10_000;

/** Keeps request ids only, so the heap measured is countersign's, not the transport's. */
function idTransport() {
  const ids: string[] = [];
  let wanted = 0;
  let reached: (() => void) | null = null;
  const transport: Transport = {
    name: 'ids',
    async deliver(request: ApprovalRequest) {
      ids.push(request.id);
      if (ids.length === wanted) reached?.();
      return { id: request.id };
    },
  };
  const all = (n: number) =>
    new Promise<void>((resolve) => {
      wanted = n;
      reached = resolve;
      if (ids.length >= n) resolve();
    });
  return { transport, ids, all };
}

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

export interface Run {
  heapPerRequest: number;
  paramsBytes: number;
  settleNs: number;
  settled: number;
  liveTimers: number;
  timerCounts: { set: number; cleared: number; fired: number };
  waiters: number;
  timeoutsBefore: number;
  timeoutsAfter: number;
  unsettledPromises: number | null;
  neverSettled: number | null;
}

export async function run(trackPromises: boolean): Promise<Run> {
  const clock = createCountingClock();
  const { transport, ids, all } = idTransport();
  const cs = createBenchCountersign({ transports: [transport], clock });
  // Warm up every code path once, so the heap measured below holds only the pending requests.
  const warm = cs.guard({ ...EXPORT, run: () => 0 }, CONTEXT);
  await all(1);
  await cs.decide(ids[0]!, { approver: 'user:bob', outcome: 'approve' });
  await warm;
  ids.length = 0;

  const timeoutsBefore = timeouts();
  // Weak, so the count is of promises never settled AND still reachable: truly left behind.
  const pending = new Set<WeakRef<object>>();
  const refs = new WeakMap<object, WeakRef<object>>();
  const stop = trackPromises
    ? promiseHooks.createHook({
        init: (promise) => {
          const ref = new WeakRef(promise);
          refs.set(promise, ref);
          pending.add(ref);
        },
        settled: (promise) => {
          const ref = refs.get(promise);
          if (ref) pending.delete(ref);
        },
      })
    : null;
  const params = Array.from({ length: PENDING }, (_, i) => ({ table: 'customers', row: i }));
  const paramsBytes = params.reduce((sum, p) => sum + Buffer.byteLength(JSON.stringify(p)), 0) / PENDING;
  // The caller's own objects (its params, actions and their run functions) exist before guard()
  // is called, so they are built before the first reading: the heap measured is countersign's.
  const actions = params.map((p) => ({ ...EXPORT, params: p, run: () => p.row }));
  const guards: Promise<number>[] = new Array(PENDING);
  const before = heapUsed();
  for (let i = 0; i < PENDING; i++) guards[i] = cs.guard(actions[i]!, CONTEXT);
  await all(PENDING);
  await new Promise((resolve) => setImmediate(resolve));
  const during = heapUsed();
  const t0 = process.hrtime.bigint();
  const decisions = shuffle([...ids]).map((id) =>
    cs.decide(id, { approver: 'user:bob', outcome: 'approve' }),
  );
  const results = await Promise.allSettled(guards);
  const settleNs = Number(process.hrtime.bigint() - t0);
  await Promise.all(decisions);
  stop?.();
  const settled = results.filter((r) => r.status === 'fulfilled').length;
  const waiters = (cs as unknown as { runtime: { waiters: { size: number } } }).runtime.waiters.size;
  await cs.close();
  await new Promise((resolve) => setImmediate(resolve));
  const neverSettled = pending.size;
  heapUsed();
  const reachable = [...pending].filter((ref) => ref.deref() !== undefined).length;
  return {
    heapPerRequest: (during - before) / PENDING,
    paramsBytes,
    settleNs,
    settled,
    liveTimers: clock.live(),
    timerCounts: { ...clock.counts },
    waiters,
    timeoutsBefore,
    timeoutsAfter: timeouts(),
    unsettledPromises: trackPromises ? reachable : null,
    neverSettled: trackPromises ? neverSettled : null,
  };
}

// Run as a script (`pending-run.ts measure|proof`), it prints its Run as one JSON line.
if (process.argv[1]?.endsWith('pending-run.ts')) {
  const result = await run(process.argv[2] === 'proof');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
