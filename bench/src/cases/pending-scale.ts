import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CaseResult, formatBytes, formatNs } from '../harness.js';
import type { FloorRun } from './pending-floor-run.js';
import { PENDING, type Run } from './pending-run.js';

const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** One run in a fresh process on this Node: nothing another case allocated or compiled is on its heap. */
function runAlone(mode: 'measure' | 'proof'): Promise<Run>;
function runAlone(mode: 'floor'): Promise<FloorRun>;
function runAlone(mode: 'measure' | 'proof' | 'floor'): Promise<Run | FloorRun> {
  const script = mode === 'floor' ? 'src/cases/pending-floor-run.ts' : 'src/cases/pending-run.ts';
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', script, mode],
      { cwd: BENCH_DIR, maxBuffer: 1 << 20 },
      (error, stdout) =>
        error
          ? reject(error)
          : resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Run | FloorRun),
    ),
  );
}

/** 10,000 guards wait at once; approvals arrive in random order. Memory, time and leftovers. */
export async function pendingScale(): Promise<CaseResult> {
  const measured = await runAlone('measure');
  const proof = await runAlone('proof');
  // The floor: the same pending approvals in the from-scratch round trip (floors/), its own process.
  const floor = await runAlone('floor');
  const perRequest = measured.heapPerRequest - measured.paramsBytes;
  const floorPerRequest = floor.heapPerRequest - floor.paramsBytes;
  const clean =
    measured.liveTimers === 0 &&
    proof.liveTimers === 0 &&
    measured.waiters === 0 &&
    proof.waiters === 0 &&
    measured.timeoutsAfter <= measured.timeoutsBefore &&
    proof.unsettledPromises === 0;
  return {
    id: '4',
    title: `${PENDING.toLocaleString('en-US')} concurrent pending approvals, resolved in random order`,
    rows: [
      {
        name: 'heap per pending request (after GC, incl. params)',
        value: formatBytes(measured.heapPerRequest),
      },
      { name: 'params, as JSON, per request', value: formatBytes(measured.paramsBytes), baseline: true },
      { name: `all ${PENDING} settled after decisions began`, value: formatNs(measured.settleNs) },
      {
        name: 'floor: heap per pending request beyond its params, the round trip from scratch (floors/round-trip-floor.ts)',
        value: formatBytes(floorPerRequest),
        baseline: true,
      },
      {
        name: `floor: all ${PENDING} settled after decisions began`,
        value: formatNs(floor.settleNs),
        baseline: true,
      },
      {
        name: 'left behind: clock timers / waiters / Timeout handles (before → after) / unsettled promises',
        value: `${measured.liveTimers} / ${measured.waiters} / ${measured.timeoutsBefore} → ${measured.timeoutsAfter} / ${proof.unsettledPromises}`,
      },
    ],
    targets: [
      {
        what: 'heap per pending request beyond its params ≤ 1.5 KB, in a process of its own',
        measured: formatBytes(perRequest),
        ok: perRequest <= 1536,
      },
      {
        what: 'all settled within 1 s',
        measured: formatNs(measured.settleNs),
        ok: measured.settleNs <= 1e9 && measured.settled === PENDING,
      },
      { what: 'no timers, listeners or promises left behind', measured: clean ? 'none' : 'LEAK', ok: clean },
      {
        what: 'the floor, reported: heap per pending request beyond params; settled; this build ÷ the floor',
        measured: `${formatBytes(floorPerRequest)}; ${formatNs(floor.settleNs)} (${floor.settled} of ${PENDING}, its chain verifies: ${floor.verified}); heap ${(perRequest / floorPerRequest).toFixed(2)} ×, settle ${(measured.settleNs / floor.settleNs).toFixed(2)} ×`,
        ok: floor.settled === PENDING && floor.verified,
      },
    ],
    notes: [
      `${measured.settled} of ${PENDING} guards returned; clock timers set ${measured.timerCounts.set}, cleared ${measured.timerCounts.cleared}, fired ${measured.timerCounts.fired}`,
      `proof run with v8.promiseHooks: ${proof.neverSettled} promises created during the run never settled, ${proof.unsettledPromises} of them still reachable after GC; waiters ${proof.waiters}; clock timers live ${proof.liveTimers}`,
      'the heap per request counts the stored request (redacted params, approvers, audit entries) and the waiting guard',
      'each run in a fresh process of its own (src/cases/pending-run.ts), on the Node running the bench',
    ],
  };
}
