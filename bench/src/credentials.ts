// The PostgreSQL role broker's issue + revoke, beside a bare CREATE ROLE / DROP ROLE pair, same run.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createCountersign, type PolicyRule } from '@countersign/core';
import { createPostgresRoleBroker } from '@countersign/credentials';
import { createMemoryStore } from '@countersign/memory-store';
import pg from 'pg';

const PG_URL = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.argv[2] ?? 200);
const WARMUP = Math.min(20, Math.floor(ROUNDS / 10));
const suffix = randomBytes(4).toString('hex');
const schema = `cs_bench_cred_${suffix}`;
const prefix = `cs_b${suffix}_`;

const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`CREATE SCHEMA ${schema}`);
await admin.query(`CREATE TABLE ${schema}.customers (id int PRIMARY KEY)`);

const broker = createPostgresRoleBroker({ connectionString: PG_URL, rolePrefix: prefix, schema });
const privileges = [`USAGE ON SCHEMA ${schema}`, 'SELECT ON customers'];
const policy = (credentials: boolean): PolicyRule[] => [
  {
    id: 'reads',
    match: { action: 'db.read' },
    effect: 'allow',
    ...(credentials ? { credentials: { broker: 'pg', privileges } } : {}),
  },
];
const withRole = createCountersign({
  store: createMemoryStore(),
  policy: policy(true),
  credentialBrokers: { pg: broker },
});
const without = createCountersign({ store: createMemoryStore(), policy: policy(false) });
const context = { actor: 'agent:bench', reason: 'benchmark', sessionId: 'sess_bench' };

/** The baseline: one bare CREATE ROLE / DROP ROLE pair. */
async function barePair(i: number): Promise<void> {
  const role = pg.escapeIdentifier(`${prefix}bare_${i}`);
  await admin.query(`CREATE ROLE ${role} LOGIN`);
  await admin.query(`DROP ROLE ${role}`);
}

/** What a minimal hand-written version needs: a login role with the same two grants, dropped. */
async function grantedPair(i: number): Promise<void> {
  const role = pg.escapeIdentifier(`${prefix}granted_${i}`);
  await admin.query(`CREATE ROLE ${role} LOGIN VALID UNTIL 'infinity'`);
  await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  await admin.query(`GRANT SELECT ON ${schema}.customers TO ${role}`);
  await admin.query(`DROP OWNED BY ${role}`);
  await admin.query(`DROP ROLE ${role}`);
}

async function brokerPair(): Promise<void> {
  const now = Date.now();
  const request = {
    grantId: `grt_${randomBytes(10).toString('hex')}`,
    requestId: null,
    actor: 'agent:bench',
    sessionId: 'sess_bench',
    fingerprint: '0'.repeat(64),
    ruleId: 'reads',
    action: { name: 'db.read', resource: null, params: {}, paramsHash: '0'.repeat(64), redactedPaths: [] },
    privileges,
    issuedAt: now,
    expiresAt: now + 60_000,
  };
  const handle = broker.handle(request);
  await broker.issue(request, handle);
  await broker.revoke(handle);
}

const guarded = (cs: typeof without) => () =>
  cs.guard({ name: 'db.read', run: (grant) => grant.credentials !== null }, context);

const cases: [string, (i: number) => Promise<unknown>][] = [
  ['bare CREATE ROLE + DROP ROLE', barePair],
  ['CREATE ROLE + 2 GRANTs + DROP', grantedPair],
  ['broker issue + revoke', brokerPair],
  ['guard() with a role per call', guarded(withRole)],
  ['guard() without credentials', guarded(without)],
];
const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
// Interleaved, so drift in the shared server affects every case alike.
for (let i = 0; i < ROUNDS + WARMUP; i++) {
  for (const [name, run] of cases) {
    const start = performance.now();
    await run(i);
    if (i >= WARMUP) samples.get(name)!.push(performance.now() - start);
  }
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const bare = samples.get(cases[0]![0])!;
const [bareP50, bareP99] = [pct(bare, 50), pct(bare, 99)];
console.log(
  `PostgreSQL role broker, ${ROUNDS} rounds after ${WARMUP} warm-up, ${PG_URL.replace(/:[^:@/]*@/, ':***@')}`,
);
console.log(
  `${'case'.padEnd(40)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'p50 ×bare'.padStart(10)} ${'p99 ×bare'.padStart(10)}`,
);
for (const [name] of cases) {
  const values = samples.get(name)!;
  const [p50, p99] = [pct(values, 50), pct(values, 99)];
  console.log(
    `${name.padEnd(40)} ${p50.toFixed(2).padStart(8)} ${p99.toFixed(2).padStart(8)} ${(p50 / bareP50).toFixed(2).padStart(10)} ${(p99 / bareP99).toFixed(2).padStart(10)}`,
  );
}

await withRole.close();
await without.close();
await broker.close();
await admin.query(`DROP SCHEMA ${schema} CASCADE`);
await admin.end();
