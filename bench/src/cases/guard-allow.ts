import { hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { verifyAuditLog } from '@countersign/core';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import { CASBIN_MODEL, CONTEXT, createBenchCountersign, guardedRead, POLICY, READ } from '../fixtures.js';
import { AllowFloor } from '../floors/allow-floor.js';
import type { FloorPresented } from '../floors/floor-parts.js';
import type { CaseResult } from '../harness.js';
import { formatNs } from '../harness.js';
import { interleave, ratioTarget } from '../interleave.js';

const CASBIN_POLICY = `
p, *, *, db.read*, allow
p, *, prod/*, db.export, deny
p, *, *, iam.*, deny
`;

export async function guardAllow(): Promise<CaseResult> {
  const cs = createBenchCountersign();
  const guarded = guardedRead(cs);
  await guarded();
  const work = async () => 1;
  const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL), new StringAdapter(CASBIN_POLICY));
  if (!(await enforcer.enforce('agent:report-bot', 'prod/customers', 'db.read'))) {
    throw new Error('casbin policy does not allow the read');
  }
  // casbin's CommonJS build (its package's `require` export), faster than the ESM bundle above.
  const cjs = createRequire(import.meta.url)('casbin') as typeof import('casbin');
  const cjsEnforcer = await cjs.newEnforcer(
    cjs.newModelFromString(CASBIN_MODEL),
    new cjs.StringAdapter(CASBIN_POLICY),
  );
  if (!(await cjsEnforcer.enforce('agent:report-bot', 'prod/customers', 'db.read'))) {
    throw new Error('casbin (CommonJS) policy does not allow the read');
  }

  // The audit entries one allowed call writes, as objects: serialising and hashing them is the
  // least any library that writes the same entries does per call.
  const before = (await cs.audit.head())?.seq ?? 0;
  await guarded();
  const head = (await cs.audit.head())?.seq ?? 0;
  const written = (await cs.audit.entries(before, head - before)).map(({ hash: _, ...body }) => body);
  const entriesFloor = () => {
    for (const body of written) hash('sha256', JSON.stringify(body), 'hex');
  };
  // Every digest one allowed call computes, over inputs of the same size: fingerprint and params
  // hash, the token's hash at issue and at consume, the fingerprint again at consume, the entries.
  const strings = written.map((body) => JSON.stringify(body));
  const params = JSON.stringify(READ.params);
  const identity = JSON.stringify({ name: READ.name, params: READ.params, resource: READ.resource });
  const token = `cst_${'x'.repeat(43)}`;
  const digests = [identity, params, token, token, identity, ...strings];
  const digestFloor = () => {
    for (const input of digests) hash('sha256', input, 'hex');
  };

  // open() reads, copies, fingerprints and redacts the call and decides the policy, then stops:
  // no grant, no store, no audit. What a guarded call costs before its grant exists.
  const opened = { ...READ, run: () => 1 };
  if ((await cs.open(opened, CONTEXT)).status !== 'allowed') throw new Error('open() did not allow the read');

  // The floor: the same guarantees from scratch (floors/allow-floor.ts), the same rules.
  const allowFloor = new AllowFloor(
    POLICY.map((rule) => ({ id: rule.id, action: String(rule.match.action), effect: rule.effect })),
  );
  const floorAction = {
    ...READ,
    run: async (grant: { consume: (presented: FloorPresented) => void }) => {
      grant.consume({ ...READ, sessionId: CONTEXT.sessionId });
      return 1;
    },
  };

  const [bare, casbin, casbinCjs, floor, allDigests, checks, scratch, guard] = await interleave(
    [
      { name: 'bare async call', fn: work, baseline: true },
      {
        name: 'casbin enforce() alone (ESM build)',
        fn: () => enforcer.enforce('agent:report-bot', 'prod/customers', 'db.read'),
        baseline: true,
      },
      {
        name: 'casbin enforce() alone (CommonJS build)',
        fn: () => cjsEnforcer.enforce('agent:report-bot', 'prod/customers', 'db.read'),
        baseline: true,
      },
      {
        name: `JSON.stringify + SHA-256 of the ${written.length} audit entries one call writes`,
        fn: entriesFloor,
        baseline: true,
      },
      {
        name: `all ${digests.length} SHA-256 digests of one allowed call, nothing else`,
        fn: digestFloor,
        baseline: true,
      },
      {
        name: 'open(): input checks, fingerprint, redaction and policy; no grant, store or audit',
        fn: () => cs.open(opened, CONTEXT),
        baseline: true,
      },
      {
        name: 'floor: the same guarantees written from scratch (floors/allow-floor.ts: checks, fingerprint, redaction, policy, single-use grant, the same 2 entries byte for byte)',
        fn: () => allowFloor.guard(floorAction, CONTEXT),
        baseline: true,
      },
      {
        name: `guard() allow path (grant issued, consumed, revoked; ${written.length} audit entries)`,
        fn: guarded,
      },
    ],
    { ms: 10_000 },
  );
  const floorLines = allowFloor.lines;
  const floorVerified = verifyAuditLog(`${floorLines.join('\n')}\n`, { allowPruned: true });
  if (!floorVerified.ok)
    throw new Error(`the floor's entries do not verify: ${JSON.stringify(floorVerified)}`);
  const entries = (await cs.audit.head())?.seq ?? 0;
  const verified = await cs.audit.verify({ allowPruned: true });
  await cs.close();
  return {
    id: '1',
    title: 'guard() on the allow path',
    rows: [bare!, casbin!, casbinCjs!, floor!, allDigests!, checks!, scratch!, guard!],
    targets: [
      ratioTarget('allow path p50 ≤ 1.5 × casbin enforce() alone (ESM)', guard!.p50, casbin!.p50, 1.5),
      ratioTarget('allow path mean ≤ 1.5 × casbin enforce() alone (ESM)', guard!.avg, casbin!.avg, 1.5),
      {
        what: 'allow path p50 / casbin enforce() alone (CommonJS), reported',
        measured: `${((guard!.p50 ?? 0) / (casbinCjs!.p50 ?? 1)).toFixed(2)} × (${formatNs(guard!.p50)} / ${formatNs(casbinCjs!.p50)}); casbin ESM / CommonJS ${((casbin!.p50 ?? 0) / (casbinCjs!.p50 ?? 1)).toFixed(2)} ×`,
        ok: true,
      },
      {
        what: 'the floor (same guarantees, from scratch) p50 ÷ casbin ESM; guard() ÷ the floor, reported',
        measured: `${((scratch!.p50 ?? 0) / (casbin!.p50 ?? 1)).toFixed(2)} × casbin ESM, ${((scratch!.p50 ?? 0) / (casbinCjs!.p50 ?? 1)).toFixed(2)} × casbin CommonJS; guard() ${((guard!.p50 ?? 0) / (scratch!.p50 ?? 1)).toFixed(2)} × the floor (p50), ${((guard!.avg ?? 0) / (scratch!.avg ?? 1)).toFixed(2)} × (mean)`,
        ok: true,
      },
      ratioTarget(
        `allow path p50 ≤ 2.5 × JSON.stringify + SHA-256 of its ${written.length} audit entries`,
        guard!.p50,
        floor!.p50,
        2.5,
      ),
    ],
    notes: [
      'every row timed per call (process.hrtime.bigint() around one awaited call), in blocks of 100 calls, the rows in a new random order every round, 10 s in all',
      `the audit chain grew to seq ${entries} and verifies: ${verified.ok}`,
      `the floor's own chain: its last ${floorLines.length.toLocaleString('en-US')} lines verify with verifyAuditLog (canonical byte for byte): ${floorVerified.ok}`,
      `before its grant exists a call costs open()'s ${formatNs(checks!.p50 ?? 0)}, ${((checks!.p50 ?? 0) / (casbin!.p50 ?? 1)).toFixed(2)} × casbin: the part of the 1.5 × casbin budget left for a grant, its store writes and its entries is what remains`,
    ],
  };
}
