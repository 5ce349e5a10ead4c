import { describe, expect, test } from 'vitest';
import { ErrorCode } from '../src/index.js';
import type { PolicyRule } from '../src/model/rule.js';
import { attempt, CONTEXT, setup } from './helpers.js';

/** Low allowed, medium one approver, high two from a group, critical two plus the named owner. */
const TIERED: PolicyRule[] = [
  {
    id: 'exports',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: ['user:bob', 'user:carol'] },
    riskWhen: { critical: 'params.rows > 1000000', high: 'params.rows > 10000', low: 'params.rows <= 100' },
    tiers: {
      low: { effect: 'allow' },
      high: { approvers: { groups: ['data-owners'] }, quorum: 2 },
      critical: { approvers: { groups: ['data-owners'] }, quorum: 2, require: ['user:owner'] },
    },
  },
];
const DIRECTORY = {
  'user:bob': { groups: ['data-owners'] },
  'user:carol': { groups: ['data-owners'] },
  'user:dave': { groups: ['data-owners'] },
  'user:owner': {},
};
const exportOf = (rows: number) => ({ name: 'db.export', resource: 'prod/t', params: { rows } });
const context = { ...CONTEXT, onBehalfOf: null };

describe('risk routes who must approve and how many', () => {
  test('a tier whose approvers cannot reach its quorum is a ConfigError', () => {
    expect(() =>
      setup({
        directory: DIRECTORY,
        policy: [{ ...TIERED[0]!, tiers: { high: { approvers: { users: ['user:bob'] }, quorum: 2 } } }],
      }),
    ).toThrow('needs a quorum of 2');
    expect(() => setup({ policy: [{ id: 'a', match: {}, effect: 'allow', tiers: { low: {} } }] })).toThrow(
      'only apply to require_approval rules',
    );
    expect(() =>
      setup({ directory: DIRECTORY, policy: [{ ...TIERED[0]!, riskWhen: { high: 'params.rows >' } }] }),
    ).toThrow('riskWhen.high');
    expect(() =>
      setup({ directory: DIRECTORY, policy: [{ ...TIERED[0]!, tiers: { high: { quorom: 2 } as never } }] }),
    ).toThrow('quorom');
  });

  test('explain() shows each level and what it needs', async () => {
    const { cs } = setup({ directory: DIRECTORY, policy: TIERED });
    const explain = (rows: number) => cs.explain({ action: 'db.export', actor: 'agent:a', params: { rows } });
    expect(explain(50)).toMatchObject({ effect: 'allow', risk: 'low' });
    expect(explain(5_000)).toMatchObject({ effect: 'require_approval', risk: 'medium', quorum: 1 });
    expect(explain(50_000)).toMatchObject({ effect: 'require_approval', risk: 'high', quorum: 2 });
    expect(explain(5_000_000)).toMatchObject({ effect: 'require_approval', risk: 'critical', quorum: 2 });
    await cs.close();
  });

  test('low runs at once, audited as allowed', async () => {
    const { cs, auditTypes } = setup({ directory: DIRECTORY, policy: TIERED });
    expect(await attempt(cs, exportOf(10), context).outcome).toBe('ran');
    expect(await auditTypes()).toContain('allowed');
    await cs.close();
  });

  test('high needs two from the group; the request shows the risk', async () => {
    const { cs, transport } = setup({ directory: DIRECTORY, policy: TIERED });
    const call = attempt(cs, exportOf(50_000), context);
    const request = await transport.nextDelivery();
    expect(request).toMatchObject({ risk: 'high', quorum: 2 });
    expect([...request.approvers].sort()).toEqual(['user:bob', 'user:carol', 'user:dave']);
    await cs.decide(request.id, { approver: 'user:dave', outcome: 'approve' });
    expect(call.ran()).toBe(false);
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect(await call.outcome).toBe('ran');
    await cs.close();
  });

  test('critical waits for the named owner even once the quorum is met', async () => {
    const { cs, transport } = setup({ directory: DIRECTORY, policy: TIERED });
    const call = attempt(cs, exportOf(5_000_000), context);
    const request = await transport.nextDelivery();
    expect(request.risk).toBe('critical');
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    const second = await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    expect(second.request.status).toBe('pending');
    expect(call.ran()).toBe(false);
    const third = await cs.decide(request.id, { approver: 'user:owner', outcome: 'approve' });
    expect(third.request.status).toBe('approved');
    expect(await call.outcome).toBe('ran');
    await cs.close();
  });

  test('critical when the named owner is the one asking: nobody can approve, so it fails closed', async () => {
    const { cs } = setup({ directory: DIRECTORY, policy: TIERED });
    const call = attempt(cs, exportOf(5_000_000), { ...context, onBehalfOf: 'user:owner' });
    expect(await call.outcome).toMatchObject({ code: ErrorCode.NoEligibleApprovers });
    expect(call.ran()).toBe(false);
    await cs.close();
  });

  test('the action may raise its risk but never lower it', async () => {
    const { cs } = setup({ directory: DIRECTORY, policy: TIERED });
    const explain = (rows: number, risk: 'low' | 'critical') =>
      cs.explain({ action: 'db.export', actor: 'agent:a', params: { rows }, risk });
    expect(explain(50_000, 'low')).toMatchObject({ risk: 'high' });
    expect(explain(5_000, 'critical')).toMatchObject({ risk: 'critical' });
    await cs.close();
  });

  test('a riskWhen condition that fails to evaluate counts as holding: the higher risk', async () => {
    const { cs } = setup({ directory: DIRECTORY, policy: TIERED });
    expect(
      cs.explain({ action: 'db.export', actor: 'agent:a', params: { rows: 'lots' } as never }),
    ).toMatchObject({ effect: 'require_approval', risk: 'critical' });
    await cs.close();
  });

  test('an approval recorded at a lower risk than the call now has is refused, not run', async () => {
    const { cs, transport, store } = setup({ directory: DIRECTORY, policy: TIERED });
    const call = attempt(cs, exportOf(50_000), { ...context, wait: true });
    const request = await transport.nextDelivery();
    // A store that lowered the recorded risk (and quorum) to skip the tier.
    const stored = (await store.getRequest(request.id))!;
    await store.updateRequest({ ...stored, version: stored.version + 1, risk: 'medium', quorum: 1 }, []);
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect(await call.outcome).toMatchObject({ code: ErrorCode.CorruptRecord });
    expect(call.ran()).toBe(false);
    await cs.close();
  });
});
