import { createBenchCountersign, guardedRead } from './fixtures.js';

/** A tight loop for `node --cpu-prof`: which case to run comes from argv. */
const which = process.argv[2] ?? 'allow';
const n = Number(process.argv[3] ?? 50_000);
const cs = createBenchCountersign();
if (which === 'allow') {
  const guarded = guardedRead(cs);
  for (let i = 0; i < 5_000; i++) await guarded();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await guarded();
  const cpu = process.cpuUsage(cpu0);
  const wall = ((performance.now() - t0) / n) * 1000;
  console.log(
    `${which}: ${wall.toFixed(2)} µs/op wall, ${((cpu.user + cpu.system) / n).toFixed(2)} µs/op cpu`,
  );
}
await cs.close();
