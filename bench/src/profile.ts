import { createBenchCountersign, guardedRead } from './fixtures.js';

/**
 * Tight loops for `node --cpu-prof`: `allow`, `round`, `audit` or `verify`, then a count.
 * pnpm --filter @countersign/bench run profile allow 50000
 */
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
if (which === 'round') {
  const { createRecordingTransport } = await import('@countersign/core/testing');
  const { CONTEXT, EXPORT } = await import('./fixtures.js');
  const transport = createRecordingTransport();
  const rt = createBenchCountersign({ transports: [transport] });
  const action = { ...EXPORT, run: () => 1 };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const done = rt.guard(action, CONTEXT);
    const request = await transport.nextDelivery();
    await rt.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await done;
  }
  console.log(`round: ${(((performance.now() - t0) / n) * 1000).toFixed(2)} µs/op`);
}
if (which === 'audit' || which === 'verify') {
  const { createMemoryStore } = await import('@countersign/memory-store');
  const { createCountersign } = await import('@countersign/core');
  const store = createMemoryStore();
  const action = {
    name: 'db.export',
    resource: 'prod/customers',
    params: { table: 'customers', format: 'csv' },
    paramsHash: 'a'.repeat(64),
    redactedPaths: [],
  };
  const draft = (i: number) => ({
    type: 'decided' as const,
    at: 1_767_225_600_000 + i,
    requestId: `req_${i}`,
    grantId: null,
    actor: 'agent:report-bot',
    onBehalfOf: 'user:alice',
    sessionId: 'sess_42',
    action: { ...action },
    fingerprint: 'b'.repeat(64),
    ruleId: 'exports-need-one',
    reason: 'Alice asked for the Q3 churn report',
    approver: 'user:bob',
    outcome: 'approve' as const,
    comment: null,
    via: 'slack',
    detail: null,
    consumedAt: null,
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await store.appendAudit([draft(i)]);
  console.log(`append: ${(((performance.now() - t0) / n) * 1000).toFixed(2)} µs/entry`);
  if (which === 'verify') {
    const v = createCountersign({ store, policy: [] });
    const t1 = performance.now();
    const r = await v.audit.verify();
    console.log(`verify: ${(((performance.now() - t1) / n) * 1000).toFixed(2)} µs/entry`, r.ok);
  }
}
