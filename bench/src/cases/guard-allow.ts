import { hash } from 'node:crypto';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import { CASBIN_MODEL, createBenchCountersign, guardedRead, READ } from '../fixtures.js';
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

  // The digests one allowed call must compute, over inputs of the same size: fingerprint and
  // params hash, the token's hash at issue and at consume, the fingerprint again at consume, and
  // the four audit entries. No library doing what guard() does can go below this.
  const head = (await cs.audit.head())?.seq ?? 0;
  const lastCall = (await cs.audit.entries(head - 4, 4)).map(({ hash: _, ...body }) => JSON.stringify(body));
  const params = JSON.stringify(READ.params);
  const identity = JSON.stringify({ name: READ.name, params: READ.params, resource: READ.resource });
  const token = `cst_${'x'.repeat(43)}`;
  const digests = [identity, params, token, token, identity, ...lastCall];
  const floor = async () => {
    for (const input of digests) hash('sha256', input, 'hex');
  };

  const bare = { ...(await time('bare async call', work, { perCall: true })), baseline: true };
  const casbin = {
    ...(await time('casbin enforce() alone', () =>
      enforcer.enforce('agent:report-bot', 'prod/customers', 'db.read'),
    )),
    baseline: true,
  };
  const hashing = {
    ...(await time(`the ${digests.length} SHA-256 digests of one allowed call, nothing else`, floor, {
      perCall: true,
    })),
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
    rows: [bare, casbin, hashing, guard],
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
      `guard() over its own hashing floor: ${(p50 / (hashing.p50 ?? 1)).toFixed(1)} ×`,
      `the audit chain grew to seq ${entries} and verifies: ${verified.ok}`,
    ],
  };
}
