// Loop of approval round trips (case 3's) against this checkout's build, for --cpu-prof; ALLOC=file writes an allocation profile.
//   cd bench && node --import tsx [--cpu-prof] src/round-profile.ts [rounds]
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { Grant } from '@countersign/core';
import { createRecordingTransport } from '@countersign/core/testing';
import { CONTEXT, createBenchCountersign, EXPORT } from './fixtures.js';

const n = Number(process.argv[2] ?? 20000);
const transport = createRecordingTransport();
const cs = createBenchCountersign({ transports: [transport] });
const action = {
  ...EXPORT,
  run: async (grant: Grant) => {
    await cs.grants.consume(grant.token, { ...EXPORT, sessionId: CONTEXT.sessionId });
    return 1;
  },
};
const round = async () => {
  const done = cs.guard(action, CONTEXT);
  const request = await transport.nextDelivery();
  await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve', via: 'bench' });
  return done;
};
for (let i = 0; i < 2000; i++) await round();
// ALLOC=path: a sampling allocation profile that keeps objects GC collected (all allocations, not what is live).
const alloc = process.env.ALLOC;
const session = alloc ? new Session() : null;
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) =>
    session!.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
if (session) {
  session.connect();
  await post('HeapProfiler.startSampling', {
    samplingInterval: 128,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
const t0 = performance.now();
for (let i = 0; i < n; i++) await round();
const t1 = performance.now();
if (session) {
  const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
  writeFileSync(alloc!, JSON.stringify(profile));
}
console.log(`${n} round trips, ${(((t1 - t0) / n) * 1000).toFixed(1)} µs each`);
await cs.close();
