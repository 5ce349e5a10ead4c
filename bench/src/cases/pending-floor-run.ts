// Case 4's floor: 10,000 approvals pending at once in the round-trip floor (floors/), measured as
// pending-run.ts measures guard(): heap per request beyond its params, and the time to settle them.
import { verifyAuditLog } from '@countersign/core';
import { CONTEXT, EXPORT } from '../fixtures.js';
import type { FloorRule } from '../floors/floor-parts.js';
import { floorRules } from '../floors/floor-rules.js';
import { RoundTripFloor } from '../floors/round-trip-floor.js';
import { heapUsed, shuffle } from '../harness.js';
import { PENDING } from './pending-run.js';

export interface FloorRun {
  heapPerRequest: number;
  paramsBytes: number;
  settleNs: number;
  settled: number;
  verified: boolean;
}

export async function runFloor(): Promise<FloorRun> {
  const rules: FloorRule[] = floorRules();
  const ids: string[] = [];
  const floor = new RoundTripFloor(rules, (id) => ids.push(id));
  const warm = floor.guard({ ...EXPORT, run: async () => 0 }, CONTEXT);
  await floor.decide(ids[0]!, 'user:bob', 'bench');
  await warm;
  ids.length = 0;
  const params = Array.from({ length: PENDING }, (_, i) => ({ table: 'customers', row: i }));
  const paramsBytes = params.reduce((sum, p) => sum + Buffer.byteLength(JSON.stringify(p)), 0) / PENDING;
  const actions = params.map((p) => ({ ...EXPORT, params: p, run: async () => p.row }));
  const guards: Promise<unknown>[] = new Array(PENDING);
  const before = heapUsed();
  for (let i = 0; i < PENDING; i++) guards[i] = floor.guard(actions[i]!, CONTEXT);
  await new Promise((resolve) => setImmediate(resolve));
  const during = heapUsed();
  const t0 = process.hrtime.bigint();
  const decisions = shuffle([...ids]).map((id) => floor.decide(id, 'user:bob', 'bench'));
  const results = await Promise.allSettled(guards);
  const settleNs = Number(process.hrtime.bigint() - t0);
  await Promise.all(decisions);
  const verified = verifyAuditLog(`${floor.lines.join('\n')}\n`).ok;
  return {
    heapPerRequest: (during - before) / PENDING,
    paramsBytes,
    settleNs,
    settled: results.filter((r) => r.status === 'fulfilled').length,
    verified,
  };
}

if (process.argv[1]?.endsWith('pending-floor-run.ts')) {
  process.stdout.write(`${JSON.stringify(await runFloor())}\n`);
}
