import { mkdirSync, writeFileSync } from 'node:fs';
import { createCountersign } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { DIRECTORY, guardedRead, POLICY } from './fixtures.js';
import { formatBytes, heapUsed } from './harness.js';

/**
 * One million allow-path guards (grant issued, consumed, revoked; four audit entries each)
 * through a memory store with retention. Heap after GC is sampled every 100,000 calls; with
 * retention the heap must stay flat once the retained window is full.
 */
const CALLS = Number(process.argv[2] ?? 1_000_000);
const EVERY = CALLS / 10;
const RETENTION = { maxAuditEntries: 50_000, maxSettledRequests: 1_000, maxFinishedGrants: 1_000 };

const cs = createCountersign({
  store: createMemoryStore({ retention: RETENTION }),
  policy: POLICY,
  directory: DIRECTORY,
});
const guarded = guardedRead(cs);
const samples: { calls: number; heap: number }[] = [{ calls: 0, heap: heapUsed() }];
const t0 = performance.now();
for (let i = 1; i <= CALLS; i++) {
  await guarded();
  if (i % EVERY === 0) {
    samples.push({ calls: i, heap: heapUsed() });
    console.log(`${i.toLocaleString('en-US').padStart(9)} calls  heap ${formatBytes(samples.at(-1)!.heap)}`);
  }
}
const seconds = (performance.now() - t0) / 1000;
const verified = await cs.audit.verify({ allowPruned: true });
await cs.close();

// Least-squares slope over the samples after the retained window has filled (from the 2nd).
const steady = samples.slice(2);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const mx = mean(steady.map((s) => s.calls));
const my = mean(steady.map((s) => s.heap));
const slope =
  steady.reduce((sum, s) => sum + (s.calls - mx) * (s.heap - my), 0) /
  steady.reduce((sum, s) => sum + (s.calls - mx) ** 2, 0);
const perMillion = slope * 1_000_000;
const flat = Math.abs(slope) < 1; // less than one byte per call
console.log(
  `\n${CALLS.toLocaleString('en-US')} calls in ${seconds.toFixed(1)} s (${((seconds / CALLS) * 1e6).toFixed(1)} µs/call)`,
);
console.log(`retention: ${JSON.stringify(RETENTION)}`);
console.log(
  `heap slope after the window filled: ${slope.toFixed(3)} B/call (${formatBytes(perMillion)} per million calls)`,
);
console.log(
  `audit chain (kept window) verifies with allowPruned: ${verified.ok}, ${verified.entries} entries`,
);
console.log(flat ? 'heap is flat' : 'heap GROWS');
const dir = new URL('../results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(
  new URL('longrun.json', dir),
  `${JSON.stringify({ calls: CALLS, seconds, retention: RETENTION, samples, slopeBytesPerCall: slope, flat, auditVerified: verified.ok }, null, 2)}\n`,
);
process.exitCode = flat ? 0 : 1;
