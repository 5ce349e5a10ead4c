// Diagnostic: case 4's settle phase alone (N pending guards decided in random order): its time, and a CPU
// profile (`cpu`), an allocation sampling profile (`heap`) or neither (`none`) written to the given file.
// `node --import tsx src/cases/pending-profile.ts 10000 /tmp/settle.cpuprofile cpu`
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { ApprovalRequest, Transport } from '@countersign/core';
import { CONTEXT, createBenchCountersign, EXPORT } from '../fixtures.js';
import { shuffle } from '../harness.js';

const N = Number(process.argv[2] ?? 10_000);
const out = process.argv[3] ?? '/tmp/settle.cpuprofile';
const ids: string[] = [];
const transport: Transport = {
  name: 'ids',
  async deliver(request: ApprovalRequest) {
    ids.push(request.id);
    return { id: request.id };
  },
};
const cs = createBenchCountersign({ transports: [transport] });
const settle = async (n: number, started: () => Promise<unknown> = async () => {}) => {
  ids.length = 0;
  const guards = Array.from({ length: n }, (_, i) =>
    cs.guard({ ...EXPORT, params: { table: 'customers', row: i }, run: () => i }, CONTEXT),
  );
  while (ids.length < n) await new Promise((r) => setImmediate(r));
  await started();
  const t0 = process.hrtime.bigint();
  const decisions = shuffle([...ids]).map((id) =>
    cs.decide(id, { approver: 'user:bob', outcome: 'approve' }),
  );
  await Promise.allSettled(guards);
  const ns = Number(process.hrtime.bigint() - t0);
  await Promise.all(decisions);
  return ns;
};
await settle(200);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
const mode = process.argv[4] ?? 'cpu';
const ns = await settle(N, async () => {
  if (mode === 'cpu') await session.post('Profiler.start');
  if (mode === 'heap')
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
});
if (mode === 'cpu') {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(out, JSON.stringify(profile));
}
if (mode === 'heap') {
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(out, JSON.stringify(profile));
}
console.log(`settled ${N} in ${(ns / 1e6).toFixed(0)} ms`);
await cs.close();
