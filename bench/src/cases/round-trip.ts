import { verifyAuditLog } from '@countersign/core';
import { createRecordingTransport } from '@countersign/core/testing';
import { CONTEXT, createBenchCountersign, EXPORT, guardedRead, READ } from '../fixtures.js';
import { AllowFloor } from '../floors/allow-floor.js';
import type { FloorPresented, FloorRule } from '../floors/floor-parts.js';
import { floorRules } from '../floors/floor-rules.js';
import { RoundTripFloor } from '../floors/round-trip-floor.js';
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

  // The floors: the same guarantees written from scratch (floors/), the same rules and approvers.
  const rules: FloorRule[] = floorRules();
  const consuming = (presented: { name: string; resource: string; params: object }) => ({
    ...presented,
    run: async (grant: { consume: (p: FloorPresented) => void }) => {
      grant.consume({ ...presented, sessionId: CONTEXT.sessionId });
      return 1;
    },
  });
  const allowFloor = new AllowFloor(rules);
  let handOver: (id: string) => void = () => {};
  const roundFloor = new RoundTripFloor(rules, (id) => handOver(id));
  const floorRead = consuming(READ);
  const floorExport = consuming(EXPORT);
  const approveFloor = async () => {
    const delivered = new Promise<string>((resolve) => {
      handOver = resolve;
    });
    const done = roundFloor.guard(floorExport, CONTEXT);
    await roundFloor.decide(await delivered, 'user:bob', 'bench');
    return done;
  };

  const [allow, round, scratchAllow, scratchRound] = await interleave(
    [
      { name: 'guard() allow path, same instance', fn: guardedRead(cs), baseline: true },
      { name: `approval round trip (${perRound} audit entries each)`, fn: approve },
      {
        name: 'floor: the allow path from scratch (floors/allow-floor.ts)',
        fn: () => allowFloor.guard(floorRead, CONTEXT),
        baseline: true,
      },
      {
        name: 'floor: the round trip from scratch, the same 5 entries and checks (floors/round-trip-floor.ts)',
        fn: approveFloor,
        baseline: true,
      },
    ],
    { ms: 6_000 },
  );
  for (const floor of [allowFloor, roundFloor]) {
    const result = verifyAuditLog(`${floor.lines.join('\n')}\n`, { allowPruned: true });
    if (!result.ok) throw new Error(`a floor's entries do not verify: ${JSON.stringify(result)}`);
  }
  const verified = await cs.audit.verify({ allowPruned: true });
  await cs.close();
  return {
    id: '3',
    title: 'Approval round trip, memory store, programmatic approver',
    rows: [allow!, round!, scratchAllow!, scratchRound!],
    targets: [
      ratioTarget('round trip p50 ≤ 2.5 × the allow path', round!.p50, allow!.p50, 2.5),
      {
        what: 'the floors: round trip ÷ allow path, from scratch; this build ÷ its floor (round trip, allow path), reported',
        measured: `${((scratchRound!.p50 ?? 0) / (scratchAllow!.p50 ?? 1)).toFixed(2)} ×; round trip ${((round!.p50 ?? 0) / (scratchRound!.p50 ?? 1)).toFixed(2)} × its floor, allow path ${((allow!.p50 ?? 0) / (scratchAllow!.p50 ?? 1)).toFixed(2)} × its floor (p50)`,
        ok: true,
      },
    ],
    notes: [
      'both rows timed per call, interleaved in blocks of 100 calls',
      `audit chain after the case verifies: ${verified.ok}; the floors' lines verify with verifyAuditLog, canonical byte for byte`,
    ],
  };
}
