// Case 7: the indexed policy with CEL `when` conditions beside the same 1,000 rules without them.
import { createCountersign, type PolicyRule } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { type CaseResult, formatNs } from '../harness.js';
import { interleave } from '../interleave.js';

const RULES = 1_000;

/** Case 2's mix of match patterns; with `conditions`, every rule also has a `when` over the call. */
export function rules(conditions: boolean): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (let i = 0; i < RULES; i++) {
    const effect = i % 3 === 0 ? 'deny' : 'allow';
    const when = conditions
      ? i % 2 === 0
        ? `params.rows > ${i * 10}`
        : `params.destination.startsWith('s3://external-') || params.rows > ${i}`
      : undefined;
    const base = { id: `r${i}`, effect, ...(when === undefined ? {} : { when }) } as const;
    switch (i % 4) {
      case 0:
        out.push({ ...base, match: { action: `svc${i}.get` } });
        break;
      case 1:
        out.push({ ...base, match: { action: `svc${i}.read*` } });
        break;
      case 2:
        out.push({ ...base, match: { action: `svc${i}.write`, resource: `tenant-${i}/*` } });
        break;
      default:
        out.push({ ...base, match: { action: `svc${i}.*`, actor: `agent:team${i % 10}-*` } });
    }
  }
  return out;
}

export function subjects() {
  const out = [];
  for (let n = 0; n < 64; n++) {
    const i = (n * 997) % RULES;
    const kind = i % 4;
    const action =
      kind === 0
        ? `svc${i}.get`
        : kind === 1
          ? `svc${i}.readAll`
          : kind === 2
            ? `svc${i}.write`
            : `svc${i}.delete`;
    out.push({
      action,
      resource: `tenant-${i}/x`,
      actor: `agent:team${i % 10}-bot`,
      params: { rows: (n * 331) % 12_000, destination: n % 5 === 0 ? 's3://external-x' : 's3://internal' },
    });
  }
  return out;
}

export async function policyConditions(): Promise<CaseResult> {
  const plain = createCountersign({ store: createMemoryStore(), policy: rules(false) });
  const conditioned = createCountersign({ store: createMemoryStore(), policy: rules(true) });
  const all = subjects();
  let held = 0;
  for (const subject of all) if (conditioned.explain(subject).when !== undefined) held++;
  let i = 0;
  const next = () => all[i++ % all.length]!;
  const [without, withConditions] = await interleave(
    [
      {
        name: 'cs.explain() with params, 1,000 rules without conditions',
        fn: () => plain.explain(next()),
        baseline: true,
      },
      {
        name: 'cs.explain() with params, the same rules each with a `when`',
        fn: () => conditioned.explain(next()),
      },
    ],
    { ms: 2_000 },
  );
  await plain.close();
  await conditioned.close();
  const p50 = withConditions!.p50 ?? 0;
  const added = p50 - (without!.p50 ?? 0);
  return {
    id: '7',
    title: 'Policy decision, 1,000 rules with CEL conditions',
    rows: [without!, withConditions!],
    targets: [
      {
        what: 'conditions add ≤ 10 µs to the decision median',
        measured: formatNs(Math.max(0, added)),
        ok: added <= 10_000,
      },
    ],
    notes: [
      `${all.length} subjects in rotation; a condition held for ${held}, the rest fell through to the default`,
      'both instances index rules by action; only the rules an action could match evaluate their condition, and params are converted to CEL values once per decision',
    ],
  };
}
