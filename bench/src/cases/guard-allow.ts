import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import { CASBIN_MODEL, createBenchCountersign, guardedRead } from '../fixtures.js';
import { type CaseResult, formatNs, time } from '../harness.js';

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

  const bare = { ...(await time('bare async call', work, { perCall: true })), baseline: true };
  const casbin = {
    ...(await time('casbin enforce() alone', () =>
      enforcer.enforce('agent:report-bot', 'prod/customers', 'db.read'),
    )),
    baseline: true,
  };
  const guard = await time('guard() allow path (grant issued, consumed, revoked; 4 audit entries)', guarded, {
    perCall: true,
  });
  const entries = (await cs.audit.head())?.seq ?? 0;
  const verified = await cs.audit.verify({ allowPruned: true });
  await cs.close();
  const p50 = guard.p50 ?? 0;
  const casbinP50 = casbin.p50 ?? 1;
  return {
    id: '1',
    title: 'guard() on the allow path',
    rows: [bare, casbin, guard],
    targets: [
      { what: 'guard() median ≤ 10 µs', measured: formatNs(p50), ok: p50 <= 10_000 },
      {
        what: 'guard() median ≤ 0.5 × casbin enforce()',
        measured: `${(p50 / casbinP50).toFixed(2)} ×`,
        ok: p50 <= casbinP50 / 2,
      },
    ],
    notes: [
      `guard() over a bare async call: ${(p50 / (bare.p50 ?? 1)).toFixed(1)} ×; over casbin: ${(p50 / casbinP50).toFixed(2)} ×`,
      `the audit chain grew to seq ${entries} and verifies: ${verified.ok}`,
    ],
  };
}
