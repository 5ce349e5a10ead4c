import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Core from '@countersign/core';
import type * as CoreTesting from '@countersign/core/testing';
import type * as MemoryStore from '@countersign/memory-store';
import { rules, subjects } from './cases/policy-conditions.js';
import { BENCH_RETENTION, CONTEXT, DIRECTORY, EXPORT, POLICY, READ } from './fixtures.js';
import { AllowFloor } from './floors/allow-floor.js';
import type { FloorPresented } from './floors/floor-parts.js';
import { floorRules } from './floors/floor-rules.js';
import { RoundTripFloor } from './floors/round-trip-floor.js';
import { formatNs } from './harness.js';
import { interleave } from './interleave.js';

/**
 * Compares this checkout with another built one inside ONE process: both builds are loaded side
 * by side and their calls timed per call in alternating blocks of 100 (`interleave()`), so load
 * on a shared host that drifts from one second to the next touches both alike. `compare` (one
 * process per build, alternating) is still the way for heap, settle time and PostgreSQL.
 * `conditions` times case 7's decision: `explain()` over 1,000 rules, each with a CEL `when`.
 * `allow` and `round` also time the floor (floors/: the same guarantees from scratch) alongside.
 *   node --import tsx src/compare-inline.ts ../old-checkout allow|round|conditions [seconds]
 */
const [other, which = 'allow', seconds = '20'] = process.argv.slice(2);
if (!other || (which !== 'allow' && which !== 'round' && which !== 'conditions')) {
  throw new Error('usage: compare-inline <other checkout> allow|round|conditions [seconds]');
}
const here = resolve(fileURLToPath(import.meta.url), '../../..');
const there = resolve(other);
if (!existsSync(`${there}/packages/core/dist/index.js`)) {
  throw new Error(`${there} is not built: run pnpm install and pnpm build there first`);
}

async function contender(root: string): Promise<() => Promise<unknown>> {
  const load = <T>(path: string) => import(pathToFileURL(`${root}/packages/${path}`).href) as Promise<T>;
  const core = await load<typeof Core>('core/dist/index.js');
  const testing = await load<typeof CoreTesting>('core/dist/testing/index.js');
  const { createMemoryStore } = await load<typeof MemoryStore>('memory-store/dist/index.js');
  if (which === 'conditions') {
    const conditioned = core.createCountersign({ store: createMemoryStore(), policy: rules(true) });
    const all = subjects();
    let i = 0;
    return async () => conditioned.explain(all[i++ % all.length]!);
  }
  const transport = testing.createRecordingTransport();
  const cs = core.createCountersign({
    store: createMemoryStore({ retention: BENCH_RETENTION }),
    directory: DIRECTORY,
    policy: POLICY,
    transports: [transport],
  });
  if (which === 'allow') {
    const action = {
      ...READ,
      run: async (grant: Core.Grant) => {
        await cs.grants.consume(grant.token, { ...READ, sessionId: CONTEXT.sessionId });
        return 1;
      },
    };
    return () => cs.guard(action, CONTEXT);
  }
  const action = {
    ...EXPORT,
    run: async (grant: Core.Grant) => {
      await cs.grants.consume(grant.token, { ...EXPORT, sessionId: CONTEXT.sessionId });
      return 1;
    },
  };
  return async () => {
    const done = cs.guard(action, CONTEXT);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await done;
  };
}

/** The floor of `allow` or `round`: the same rules and call, written from scratch. */
function floorContender(): () => Promise<unknown> {
  const policy = floorRules();
  const presented = which === 'allow' ? READ : EXPORT;
  const action = {
    ...presented,
    run: async (grant: { consume: (p: FloorPresented) => void }) => {
      grant.consume({ ...presented, sessionId: CONTEXT.sessionId });
      return 1;
    },
  };
  if (which === 'allow') {
    const floor = new AllowFloor(policy);
    return () => floor.guard(action, CONTEXT);
  }
  let handOver: (id: string) => void = () => {};
  const floor = new RoundTripFloor(policy, (id) => handOver(id));
  return async () => {
    const delivered = new Promise<string>((resolve) => {
      handOver = resolve;
    });
    const done = floor.guard(action, CONTEXT);
    await floor.decide(await delivered, 'user:bob', 'bench');
    return done;
  };
}

const [before, after, floor] = await interleave(
  [
    { name: `other (${there})`, fn: await contender(there), baseline: true },
    { name: `this (${here})`, fn: await contender(here) },
    ...(which === 'conditions' ? [] : [{ name: 'floor (floors/)', fn: floorContender(), baseline: true }]),
  ],
  { ms: Number(seconds) * 1_000 },
);
type Row = { p50?: number | undefined; p99?: number | undefined; avg?: number | undefined };
const ns = (row: Row) => [row.p50 ?? 0, row.p99 ?? 0, row.avg ?? 0];
const [b50, b99, bAvg] = ns(before!);
const [a50, a99, aAvg] = ns(after!);
console.log(`other ${there}: p50 ${formatNs(b50!)}, p99 ${formatNs(b99!)}, mean ${formatNs(bAvg!)}`);
console.log(`this  ${here}: p50 ${formatNs(a50!)}, p99 ${formatNs(a99!)}, mean ${formatNs(aAvg!)}`);
console.log(
  `${which} p50: ${formatNs(b50!)} → ${formatNs(a50!)}, ${(a50! / b50!).toFixed(2)} ×; p99 ${(a99! / b99!).toFixed(2)} ×; mean ${(aAvg! / bAvg!).toFixed(2)} ×`,
);
if (floor) {
  const [f50, f99, fAvg] = ns(floor);
  console.log(`floor (floors/): p50 ${formatNs(f50!)}, p99 ${formatNs(f99!)}, mean ${formatNs(fAvg!)}`);
  console.log(
    `floor ÷ other: p50 ${(f50! / b50!).toFixed(2)} ×, mean ${(fAvg! / bAvg!).toFixed(2)} ×; this ÷ floor: p50 ${(a50! / f50!).toFixed(2)} ×, mean ${(aAvg! / fAvg!).toFixed(2)} ×`,
  );
}
