// The agent API against the in-process guard() on the same store: open→claim→outcome over loopback HTTP
// beside guard(), and long polls: 1,000 clients waiting on one server, and what they cost the others.
//   node --import tsx src/agent-api.ts [seconds]
import type { Grant } from '@countersign/core';
import { createCountersign } from '@countersign/core';
import { createRecordingTransport } from '@countersign/core/testing';
import { createDecisionApi, listen } from '@countersign/http';
import { createDevIssuer } from '@countersign/http/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { BENCH_RETENTION, CONTEXT, DIRECTORY, EXPORT, POLICY, READ } from './fixtures.js';
import { formatNs } from './harness.js';
import { interleave } from './interleave.js';

const seconds = Number(process.argv[2] ?? '10');
// Node's fetch opens as many connections per origin as there are requests in flight: one per waiting client.

const agents = await createDevIssuer({ issuer: 'https://ci.bench.test', audience: 'countersign-bench' });
const people = await createDevIssuer({ issuer: 'https://id.bench.test', audience: 'countersign-api' });
const token = await agents.token('acme-bench');
const bob = await people.token('bob');

const store = createMemoryStore({ retention: BENCH_RETENTION });
const cs = createCountersign({
  store,
  directory: DIRECTORY,
  policy: POLICY,
  transports: [createRecordingTransport()],
  maxPendingPerActor: 100_000,
  logger: null,
});
const api = createDecisionApi(cs, {
  store,
  oidc: { issuer: people.issuer, audience: people.audience, jwksUrl: people.jwksUrl },
  agents: {
    issuers: [
      {
        issuer: agents.issuer,
        audience: agents.audience,
        jwksUrl: agents.jwksUrl,
        actor: 'agent:ci:{sub}',
      },
    ],
    maxWaiting: 100_000,
  },
});
const server = await listen(api.fetch, { port: 0, hostname: '127.0.0.1' });
const base = server.url;
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const post = async (path: string, body: unknown, auth = headers) => {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { callId: string; status: string; requestId: string | null };
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
};

let n = 0;
const agentAllowed = async () => {
  const call = await post('/v1/calls', {
    action: READ,
    reason: CONTEXT.reason,
    sessionId: CONTEXT.sessionId,
  });
  await post(`/v1/calls/${call.callId}/claim`, {});
  await post(`/v1/calls/${call.callId}/outcome`, { status: 'executed' });
};
const guardAllowed = () =>
  cs.guard({ ...READ, run: (_grant: Grant) => 1 }, { ...CONTEXT, actor: 'agent:ci:acme-bench' });
const agentApproved = async () => {
  const call = await post('/v1/calls', { action: EXPORT, reason: CONTEXT.reason, sessionId: `s${n++}` });
  await post(
    `/requests/${call.callId}/decisions`,
    { outcome: 'approve' },
    { ...headers, authorization: `Bearer ${bob}` },
  );
  await post(`/v1/calls/${call.callId}/claim`, {});
  await post(`/v1/calls/${call.callId}/outcome`, { status: 'executed' });
};
const guardApproved = async () => {
  const sessionId = `g${n++}`;
  const running = cs
    .guard({ ...EXPORT, run: () => 1 }, { ...CONTEXT, actor: 'agent:ci:acme-bench', sessionId, wait: false })
    .catch((error: { requestId?: string }) => error.requestId);
  const requestId = (await running) as string;
  await cs.decide(requestId, { approver: 'user:bob', outcome: 'approve', via: 'bench' });
  await cs.guard(
    { ...EXPORT, run: () => 1 },
    { ...CONTEXT, actor: 'agent:ci:acme-bench', sessionId, requestId },
  );
};

console.log(`agent API vs guard() on one memory store, ${seconds}s per pair (Node ${process.version})`);
const rows = [
  ...(await interleave(
    [
      { name: 'guard(), allowed', fn: guardAllowed, baseline: true },
      { name: 'agent API open→claim→outcome, allowed (3 HTTP requests)', fn: agentAllowed },
    ],
    { ms: seconds * 1000, warmup: 200, minSamples: 500 },
  )),
  ...(await interleave(
    [
      { name: 'guard() + decide(), approval', fn: guardApproved, baseline: true },
      { name: 'agent API open→decide→claim→outcome (4 HTTP requests)', fn: agentApproved },
    ],
    { ms: seconds * 1000, warmup: 200, minSamples: 300 },
  )),
];
for (const row of rows) {
  console.log(
    `  ${row.name.padEnd(60)} p50 ${formatNs(row.p50 ?? 0)}  p99 ${formatNs(row.p99 ?? 0)}  mean ${formatNs(row.avg ?? 0)}`,
  );
}
console.log(
  `  ratio allowed  (agent API / guard): p50 ${(rows[1]!.p50! / rows[0]!.p50!).toFixed(1)}×, mean ${(rows[1]!.avg! / rows[0]!.avg!).toFixed(1)}×`,
);
console.log(
  `  ratio approval (agent API / guard): p50 ${(rows[3]!.p50! / rows[2]!.p50!).toFixed(1)}×, mean ${(rows[3]!.avg! / rows[2]!.avg!).toFixed(1)}×`,
);

// Reads per second of GET /v1/calls/:id from 50 clients, with nobody waiting, then with 1,000 long polls held.
const readers = 50;
const reads = async (ids: string[], ms: number) => {
  let count = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: readers }, async (_, r) => {
      for (let i = r; performance.now() < end; i += readers) {
        const response = await fetch(`${base}/v1/calls/${ids[i % ids.length]}`, { headers });
        await response.arrayBuffer();
        count += 1;
      }
    }),
  );
  return (count * 1000) / ms;
};
const open = async (count: number) => {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(
      (await post('/v1/calls', { action: EXPORT, reason: CONTEXT.reason, sessionId: `w${n++}` })).callId,
    );
  }
  return ids;
};
const targets = await open(200);
const idle = await reads(targets, seconds * 500);
const waitingIds = await open(1_000);
const before = process.memoryUsage().rss;
let answered = 0;
const polls = waitingIds.map((id) =>
  fetch(`${base}/v1/calls/${id}?wait=60s`, { headers }).then(async (response) => {
    await response.arrayBuffer();
    answered += 1;
  }),
);
await new Promise((resolve) => setTimeout(resolve, 1_000));
const held = await reads(targets, seconds * 500);
const rssPerWait = (process.memoryUsage().rss - before) / 1_000;
const t0 = performance.now();
await Promise.all(
  waitingIds.map((id) => cs.decide(id, { approver: 'user:bob', outcome: 'approve', via: 'bench' })),
);
await Promise.all(polls);
const wakeMs = performance.now() - t0;
console.log(
  `\nlong polls: ${answered} of 1,000 waiting clients answered ${wakeMs.toFixed(0)} ms after their 1,000 decisions (${((1_000 * 1000) / wakeMs).toFixed(0)} answers/s, decisions included)`,
);
console.log(
  `  GET /v1/calls/:id from ${readers} clients: ${idle.toFixed(0)} req/s with none waiting (baseline), ${held.toFixed(0)} req/s with 1,000 waiting: ${(held / idle).toFixed(2)}×`,
);
console.log(
  `  resident memory per waiting client: ~${(rssPerWait / 1024).toFixed(1)} KB (server and clients share this process)`,
);
await server.close(100);
await api.close();
await cs.close();
await agents.close();
await people.close();
process.exit(0);
