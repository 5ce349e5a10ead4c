import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { approvalWorkload } from './cases/approval-workload.js';
import { auditLog } from './cases/audit-log.js';
import { guardAllow } from './cases/guard-allow.js';
import { pendingScale } from './cases/pending-scale.js';
import { policy1000 } from './cases/policy-1000.js';
import { policyConditions } from './cases/policy-conditions.js';
import { postgres } from './cases/postgres.js';
import { roundTrip } from './cases/round-trip.js';
import { type CaseResult, formatNs, type Row } from './harness.js';

const COMMAND = 'pnpm bench';
const CASES: Record<string, () => Promise<CaseResult>> = {
  '1': guardAllow,
  '2': policy1000,
  '3': roundTrip,
  '4': pendingScale,
  '5': auditLog,
  '6': postgres,
  '7': policyConditions,
  '8': approvalWorkload,
};

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let lscpu = '';
  try {
    lscpu = execFileSync('lscpu', { encoding: 'utf8' })
      .split('\n')
      .filter((line) =>
        /^(Model name|CPU\(s\)|Thread\(s\) per core|CPU max MHz|Hypervisor vendor):/.test(line),
      )
      .map((line) => line.replace(/\s+/g, ' ').trim())
      .join('; ');
  } catch {}
  return `${cpus().length} CPUs (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}${lscpu ? `; lscpu: ${lscpu}` : ''}`;
}

function ratioTo(row: Row, baselines: Row[]): string {
  if (row.baseline || row.p50 === undefined) return '';
  return baselines
    .filter((b) => b.p50 !== undefined)
    .map((b) => `${(row.p50! / b.p50!).toFixed(2)} × ${b.name}`)
    .join('; ');
}

function markdown(results: CaseResult[], meta: { machine: string; at: string }): string {
  const lines = [
    `Measured ${meta.at} on ${meta.machine}.`,
    '',
    `Reproduce: \`${COMMAND}\` from the repository root (one case: \`pnpm bench 3\`).`,
    '',
  ];
  for (const result of results) {
    lines.push(`### ${result.id}. ${result.title}`, '');
    if (result.skipped) {
      lines.push(`Skipped: ${result.skipped}`, '');
      continue;
    }
    lines.push(
      '| measured | p50 | p99 | mean | figure | ratio |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
    );
    const baselines = result.rows.filter((row) => row.baseline);
    for (const row of result.rows) {
      lines.push(
        `| ${row.baseline ? `baseline: ${row.name}` : `**${row.name}**`} | ${formatNs(row.p50)} | ${formatNs(row.p99)} | ${formatNs(row.avg)} | ${row.value ?? ''} | ${ratioTo(row, baselines)} |`,
      );
    }
    lines.push('', '| target | measured | holds |', '| --- | ---: | :---: |');
    for (const target of result.targets) {
      lines.push(`| ${target.what} | ${target.measured} | ${target.ok ? 'yes' : '**no**'} |`);
    }
    lines.push('');
    for (const note of result.notes) lines.push(`- ${note}`);
    lines.push('');
  }
  return lines.join('\n');
}

// Every figure and every child process on the root's pinned Node (children use process.execPath).
const pinned = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    devDependencies?: Record<string, string>;
  }
).devDependencies?.node;
if (pinned !== undefined && process.version !== `v${pinned}`) {
  throw new Error(`run the bench on the root's Node ${pinned} (pnpm bench does), not ${process.version}`);
}
const wanted = process.argv.slice(2);
const results: CaseResult[] = [];
for (const [id, run] of Object.entries(CASES)) {
  if (wanted.length > 0 && !wanted.includes(id)) continue;
  process.stdout.write(`case ${id}… `);
  const result = await run();
  results.push(result);
  process.stdout.write(result.skipped ? `skipped: ${result.skipped}\n` : 'done\n');
}
const meta = { machine: machine(), at: new Date().toISOString() };
const text = markdown(results, meta);
console.log(`\n${text}`);
const dir = new URL('../results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(
  new URL('latest.json', dir),
  `${JSON.stringify({ ...meta, command: COMMAND, results }, null, 2)}\n`,
);
writeFileSync(new URL('latest.md', dir), `${text}\n`);
const failed = results.flatMap((r) => r.targets.filter((t) => !t.ok).map((t) => `${r.id}: ${t.what}`));
console.log(
  failed.length === 0 ? 'every target holds' : `targets that do not hold:\n  ${failed.join('\n  ')}`,
);
