import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Compares this checkout with another one (built with `pnpm build`), alternating one process of
 * each so that both see the same machine, and prints each measurement and the median ratio.
 *   pnpm --filter @countersign/bench compare ../old-checkout allow 5
 * Measurements: allow (guard() p50/p99), round (approval round trip p50/p99), audit (append and
 * verify, ns per entry), pending (10,000 pending guards: settle time in ns after random
 * decisions begin, and heap bytes per pending request), pg (PostgreSQL: round trips per approval,
 * approvals/s with 4 worker processes of count / 4 exports each, audit appends/s with 8 writers;
 * needs PostgreSQL at COUNTERSIGN_PG_URL or postgres://postgres@127.0.0.1:5432/test). All but pg
 * also report cpuNsPerOp, the process's CPU time per operation, for when the wall clock is noisy.
 */
const [other, which = 'allow', rounds = '5'] = process.argv.slice(2);
if (!other) throw new Error('usage: compare <other checkout> [allow|round|audit|pending|pg] [rounds]');
const here = resolve(fileURLToPath(import.meta.url), '../../..');
const there = resolve(other);
if (!existsSync(`${there}/packages/core/dist/index.js`)) {
  throw new Error(`${there} is not built: run pnpm install and pnpm build there first`);
}
const worker = fileURLToPath(new URL('./compare-worker.ts', import.meta.url));
const counts: Record<string, string> = {
  allow: '30000',
  round: '10000',
  audit: '200000',
  pending: '10000',
  pg: '400',
};

function measure(root: string): Record<string, number> {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--expose-gc', worker, root, which, counts[which] ?? '20000'],
    { encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, number>;
}

const results: Record<'other' | 'this', Record<string, number>[]> = { other: [], this: [] };
// The order flips every round: the second process of a pair measured up to 10 % slower on this
// host (pending settle time, the same code swapped between places), so a fixed order biases.
for (let i = 0; i < Number(rounds); i++) {
  const pair = [
    ['other', there],
    ['this', here],
  ] as const;
  for (const [label, root] of i % 2 === 0 ? pair : [...pair].reverse()) {
    const result = measure(root);
    results[label].push(result);
    console.log(`${label.padEnd(5)} ${JSON.stringify(result)}`);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
for (const key of Object.keys(results.this[0] ?? {})) {
  const b = median(results.this.map((r) => r[key] ?? 0));
  // A figure only this checkout reports (pg's sealing lag): no ratio.
  if (results.other.every((r) => r[key] === undefined || r[key] === 0)) {
    console.log(`${key}: ${b.toFixed(b < 100 ? 2 : 0)} (this checkout only; median of ${rounds})`);
    continue;
  }
  const a = median(results.other.map((r) => r[key] ?? 0));
  const ratios = results.this.map((r, i) => (r[key] ?? 0) / (results.other[i]?.[key] ?? 1));
  console.log(
    `${key}: ${a.toFixed(a < 100 ? 1 : 0)} → ${b.toFixed(b < 100 ? 1 : 0)}, ${(b / a).toFixed(2)} × (medians of ${rounds}; ratio of each round's pair: median ${median(ratios).toFixed(2)} ×, ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
  );
}
