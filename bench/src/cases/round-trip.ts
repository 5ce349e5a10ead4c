import { createRecordingTransport } from '@countersign/core/testing';
import { CONTEXT, createBenchCountersign, EXPORT, guardedRead } from '../fixtures.js';
import type { CaseResult } from '../harness.js';
import { interleave, ratioTarget } from '../interleave.js';

/**
 * Request, deliver to a recording transport, decide through the API, wake the guard, grant, run
 * (consuming the grant), revoke and audit: one approval, end to end, with the memory store,
 * interleaved with the allow path of the same instance.
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
  const before = (await cs.audit.head())?.seq ?? 0;
  await approve();
  const perRound = ((await cs.audit.head())?.seq ?? 0) - before;
  const [allow, round] = await interleave(
    [
      { name: 'guard() allow path, same instance', fn: guardedRead(cs), baseline: true },
      { name: `approval round trip (${perRound} audit entries each)`, fn: approve },
    ],
    { ms: 6_000 },
  );
  const verified = await cs.audit.verify({ allowPruned: true });
  await cs.close();
  return {
    id: '3',
    title: 'Approval round trip, memory store, programmatic approver',
    rows: [allow!, round!],
    targets: [ratioTarget('round trip p50 ≤ 2.5 × the allow path', round!.p50, allow!.p50, 2.5)],
    notes: [
      'both rows timed per call, interleaved in blocks of 100 calls',
      `audit chain after the case verifies: ${verified.ok}`,
    ],
  };
}
