import { createRecordingTransport } from '@countersign/core/testing';
import { CONTEXT, createBenchCountersign, EXPORT, guardedRead } from '../fixtures.js';
import { type CaseResult, formatNs, summarise } from '../harness.js';

const MIN_ROUNDS = 3_000;
const MIN_MS = 2_000;

async function sample(op: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 500; i++) await op();
  const samples: number[] = [];
  const end = performance.now() + MIN_MS;
  while (samples.length < MIN_ROUNDS || performance.now() < end) {
    const t0 = process.hrtime.bigint();
    await op();
    samples.push(Number(process.hrtime.bigint() - t0));
  }
  return samples;
}

/**
 * Request, deliver to a recording transport, decide through the API, wake the guard, grant, run
 * (consuming the grant), revoke and audit: one approval, end to end, with the memory store.
 */
export async function roundTrip(): Promise<CaseResult> {
  const transport = createRecordingTransport();
  const cs = createBenchCountersign({ transports: [transport] });
  const action = {
    ...EXPORT,
    run: async (grant: { token: string }) => {
      await cs.grants.consume(grant.token, { ...EXPORT, sessionId: CONTEXT.sessionId });
      return 1;
    },
  };
  const approve = async () => {
    const done = cs.guard(action, CONTEXT);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve', via: 'bench' });
    return done;
  };
  const allowRow = {
    ...summarise('guard() allow path, same loop', await sample(guardedRead(cs))),
    baseline: true,
  };
  const before = (await cs.audit.head())?.seq ?? 0;
  await approve();
  const perRound = ((await cs.audit.head())?.seq ?? 0) - before;
  const round = summarise(`approval round trip (${perRound} audit entries each)`, await sample(approve));
  const verified = await cs.audit.verify({ allowPruned: true });
  await cs.close();
  const p50 = round.p50 ?? 0;
  const p99 = round.p99 ?? 0;
  return {
    id: '3',
    title: 'Approval round trip, memory store, programmatic approver',
    rows: [allowRow, round],
    targets: [
      { what: 'round trip p50 ≤ 50 µs', measured: formatNs(p50), ok: p50 <= 50_000 },
      { what: 'round trip p99 ≤ 1 ms', measured: formatNs(p99), ok: p99 <= 1_000_000 },
    ],
    notes: [
      `round trip over the allow path: ${(p50 / (allowRow.p50 ?? 1)).toFixed(2)} × at p50`,
      `audit chain after the case verifies: ${verified.ok}`,
    ],
  };
}
