// Decisions through the HTTP API over PostgreSQL, beside a bare Hono handler doing one query, same run.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createCountersign, type PolicyRule } from '@countersign/core';
import { createDecisionApi, listen } from '@countersign/http';
import { createDevIssuer } from '@countersign/http/testing';
import { createPostgresStore } from '@countersign/postgres-store';
import { Hono } from 'hono';
import pg from 'pg';

interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface CannonResult {
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number; average: number };
}
type Autocannon = (options: {
  url: string;
  connections: number;
  amount: number;
  requests: {
    method: string;
    headers: Record<string, string>;
    body: string;
    setupRequest: (r: CannonRequest) => CannonRequest;
  }[];
}) => Promise<CannonResult>;

// autocannon ships CommonJS without types.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const PG_URL = process.env.COUNTERSIGN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DECISIONS = Number(process.argv[2] ?? 2_000);
const CONNECTIONS = Number(process.argv[3] ?? 10);
const schema = `cs_bench_http_${randomBytes(4).toString('hex')}`;

const policy: PolicyRule[] = [
  {
    id: 'exports',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: ['user:bob', 'user:carol'] },
    quorum: 1,
    requestTtl: '30m',
  },
];

const store = createPostgresStore({ connectionString: PG_URL, schema });
await store.migrate();
const pool = new pg.Pool({ connectionString: PG_URL, max: 10 });
const issuer = await createDevIssuer();
const cs = createCountersign({ store, policy, maxPendingPerActor: 100_000 });
const api = createDecisionApi(cs, {
  store,
  oidc: { issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl },
});

/** The same decisions without HTTP: what the store and core cost on their own. */
async function decideInProcess(requestIds: readonly string[]) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let id = requestIds[next++]; id !== undefined; id = requestIds[next++]) {
        const t = performance.now();
        await cs.decide(id, { approver: 'user:bob', outcome: 'approve', comment: 'bench', via: 'bench' });
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

try {
  process.stdout.write(`opening ${2 * DECISIONS} pending requests in schema ${schema}…\n`);
  const ids: string[] = [];
  for (let i = 0; i < 2 * DECISIONS; i++) {
    const opened = await cs.open(
      { name: 'db.export', resource: 'prod/customers', params: { n: i } },
      { actor: 'agent:bench', sessionId: `s${i}`, reason: 'bench' },
    );
    if (opened.status !== 'pending') throw new Error(`expected a pending request, got ${opened.status}`);
    ids.push(opened.requestId);
  }

  const bare = new Hono();
  bare.post('/requests/:id/decisions', async (c) => {
    const { rows } = await pool.query(`SELECT id, status FROM ${schema}.requests WHERE id = $1`, [
      c.req.param('id'),
    ]);
    return c.json({ id: rows[0]?.id ?? null });
  });

  const token = await issuer.token('bob');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const body = JSON.stringify({ outcome: 'approve', comment: 'bench' });
  const run = async (fetch: (request: Request) => Response | Promise<Response>, label: string) => {
    const server = await listen(fetch);
    let next = 0;
    try {
      const result = await autocannon({
        url: server.url,
        connections: CONNECTIONS,
        amount: DECISIONS,
        requests: [
          {
            method: 'POST',
            headers,
            body,
            setupRequest: (request) => ({
              ...request,
              path: `/requests/${ids[next++ % ids.length]}/decisions`,
            }),
          },
        ],
      });
      const perSecond = result['2xx'] / result.duration;
      process.stdout.write(
        `${label.padEnd(44)} ${perSecond.toFixed(0).padStart(7)}/s  p50 ${result.latency.p50.toFixed(2).padStart(6)} ms  p99 ${result.latency.p99.toFixed(2).padStart(6)} ms  2xx ${result['2xx']} non-2xx ${result.non2xx} errors ${result.errors}\n`,
      );
      return { perSecond, p50: result.latency.p50, p99: result.latency.p99, ok: result['2xx'] };
    } finally {
      await server.close(1_000);
    }
  };

  process.stdout.write(
    `\n${DECISIONS} requests each, ${CONNECTIONS} connections, autocannon on 127.0.0.1, Node ${process.version}\n`,
  );
  const baseline = await run(bare.fetch, 'bare Hono handler, one PostgreSQL query');
  const decisions = await run(api.fetch, 'POST /requests/:id/decisions (JWT, decide)');
  const direct = await decideInProcess(ids.slice(DECISIONS));
  process.stdout.write(
    `${'cs.decide() in process, same concurrency'.padEnd(44)} ${direct.perSecond.toFixed(0).padStart(7)}/s  p50 ${direct.p50.toFixed(2).padStart(6)} ms  p99 ${direct.p99.toFixed(2).padStart(6)} ms\n`,
  );
  const approved = (await store.listRequests({ status: 'approved', limit: 2 * DECISIONS + 1 })).length;
  process.stdout.write(
    `\nratios (API / bare): throughput ${(decisions.perSecond / baseline.perSecond).toFixed(3)}×, p50 ${(decisions.p50 / baseline.p50).toFixed(2)}×, p99 ${(decisions.p99 / baseline.p99).toFixed(2)}×\n` +
      `ratios (API / cs.decide in process): throughput ${(decisions.perSecond / direct.perSecond).toFixed(3)}×, p50 ${(decisions.p50 / direct.p50).toFixed(2)}×\n`,
  );
  process.stdout.write(`requests approved in the store: ${approved} of ${2 * DECISIONS}\n`);
  if (decisions.ok !== DECISIONS || approved !== 2 * DECISIONS) process.exitCode = 1;
} finally {
  await api.close();
  await cs.close();
  await issuer.close();
  const client = await pool.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    client.release();
    await pool.end();
  }
}
