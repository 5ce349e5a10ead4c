import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { type Countersign, ErrorCode, type Store } from '../src/index.js';
import type { GuardAction } from '../src/model/call.js';
import type { PolicyRule } from '../src/model/rule.js';
import { attempt, CONTEXT, overrideStore, setup, tick } from './helpers.js';

const reuseRule = (overrides: Partial<PolicyRule> = {}): PolicyRule[] => [
  {
    id: 'exports',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: ['user:bob', 'user:carol'] },
    reuse: { within: '30m', scope: 'session', same: 'fingerprint', maxUses: 2 },
    ...overrides,
  },
];
const EXPORT = { name: 'db.export', resource: 'prod/customers', params: { table: 'customers', rows: 100 } };

type Transport = ReturnType<typeof setup>['transport'];

/** One call, asked and approved by bob; resolves once it ran. */
async function approvedOnce(
  cs: Countersign,
  transport: Transport,
  decision: { justThisCall?: boolean } = {},
) {
  const first = attempt(cs, EXPORT);
  const request = await transport.nextDelivery();
  await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve', ...decision });
  expect(await first.outcome).toBe('ran');
  return request;
}

/** A later call: whether it ran at once (reused) or asked (a new request was delivered). */
async function later(
  cs: Countersign,
  transport: Transport,
  action: Partial<GuardAction<unknown>> = EXPORT,
  context = CONTEXT,
) {
  const before = transport.delivered.length;
  const call = attempt(cs, action, context);
  let settled: unknown = 'pending';
  void call.outcome.then((value) => {
    settled = value;
  });
  for (let i = 0; i < 200 && settled === 'pending' && transport.delivered.length === before; i++)
    await tick();
  return { settled, asked: transport.delivered.length > before, call };
}

describe('reuse windows: when a later call must still ask', () => {
  test('another session', async () => {
    const { cs, transport } = setup({ policy: reuseRule() });
    await approvedOnce(cs, transport);
    expect((await later(cs, transport, EXPORT, { ...CONTEXT, sessionId: 'other' })).asked).toBe(true);
    await cs.close();
  });

  test('other params', async () => {
    const { cs, transport } = setup({ policy: reuseRule() });
    await approvedOnce(cs, transport);
    const other = { ...EXPORT, params: { ...EXPORT.params, rows: 1_000_000 } };
    expect((await later(cs, transport, other)).asked).toBe(true);
    await cs.close();
  });

  test('the window has expired', async () => {
    const { cs, transport, clock } = setup({ policy: reuseRule() });
    await approvedOnce(cs, transport);
    await clock.advance(30 * 60_000);
    expect((await later(cs, transport)).asked).toBe(true);
    await cs.close();
  });

  test('the window was revoked by an approver', async () => {
    const { cs, transport, auditTypes } = setup({ policy: reuseRule() });
    const request = await approvedOnce(cs, transport);
    expect(await cs.revokeReuse(request.id, { by: 'user:carol', reason: 'enough for today' })).toBe(true);
    expect(await cs.revokeReuse(request.id, { by: 'user:carol' })).toBe(false);
    expect(await auditTypes()).toContain('reuse_revoked');
    expect((await later(cs, transport)).asked).toBe(true);
    await cs.close();
  });

  test('maxUses is exhausted', async () => {
    const { cs, transport } = setup({ policy: reuseRule() });
    await approvedOnce(cs, transport);
    expect((await later(cs, transport)).settled).toBe('ran');
    expect((await later(cs, transport)).settled).toBe('ran');
    expect((await later(cs, transport)).asked).toBe(true);
    await cs.close();
  });

  test('a destructive rule can never reuse: reuse on it is a ConfigError', () => {
    expect(() => setup({ policy: reuseRule({ destructive: true }) })).toThrow('destructive');
  });

  test('the approver chose "just this call"', async () => {
    const { cs, transport } = setup({ policy: reuseRule() });
    await approvedOnce(cs, transport, { justThisCall: true });
    expect((await later(cs, transport)).asked).toBe(true);
    await cs.close();
  });

  test('a call with an idempotency key re-attaches to its own request instead', async () => {
    const { cs, transport } = setup({ policy: reuseRule() });
    await approvedOnce(cs, transport);
    expect((await later(cs, transport, EXPORT, { ...CONTEXT, idempotencyKey: 'call_7' })).asked).toBe(true);
    await cs.close();
  });

  test('another actor, or another principal', async () => {
    const { cs, transport } = setup({ policy: reuseRule() });
    await approvedOnce(cs, transport);
    expect((await later(cs, transport, EXPORT, { ...CONTEXT, actor: 'agent:other' })).asked).toBe(true);
    expect((await later(cs, transport, EXPORT, { ...CONTEXT, onBehalfOf: 'user:dave' })).asked).toBe(true);
    await cs.close();
  });

  test('a riskier call than the one approved', async () => {
    const { cs, transport } = setup({ policy: reuseRule() });
    await approvedOnce(cs, transport);
    expect((await later(cs, transport, { ...EXPORT, risk: 'critical' })).asked).toBe(true);
    await cs.close();
  });

  test('a window whose request is not an approval (a forged window) is ignored', async () => {
    const memory = createMemoryStore();
    const { cs, transport } = setup({ policy: reuseRule(), store: memory });
    const request = await approvedOnce(cs, transport);
    const window = (await memory.getReuseWindow!(`reuse_${request.id}`))!;
    await memory.createReuseWindow!(
      { ...window, id: 'reuse_req_forged', requestId: 'req_forged', uses: 0 },
      [],
    );
    await cs.revokeReuse(request.id, { by: 'user:bob' });
    expect((await later(cs, transport)).asked).toBe(true);
    await cs.close();
  });

  test('a rule with reuse on a store without reuse windows is a ConfigError', () => {
    const store: Store = overrideStore(createMemoryStore(), { createReuseWindow: undefined });
    expect(() => setup({ policy: reuseRule(), store })).toThrow('lacks createReuseWindow');
  });
});

describe('reuse windows: a later matching call runs at once, with its own grant', () => {
  test('audited as reused, pointing at the approval it relied on', async () => {
    const { cs, transport } = setup({ policy: reuseRule() });
    const request = await approvedOnce(cs, transport);
    const grants: string[] = [];
    const reused = await cs.guard({ ...EXPORT, run: (grant) => grants.push(grant.id) }, CONTEXT);
    expect(reused).toBe(1);
    expect(transport.delivered).toHaveLength(1);
    const entries = await cs.audit.entries();
    const opened = entries.find((e) => e.type === 'reuse_opened');
    expect(opened).toMatchObject({ requestId: request.id });
    const use = entries.find((e) => e.type === 'reused');
    expect(use).toMatchObject({ requestId: request.id, fingerprint: request.fingerprint, ruleId: 'exports' });
    expect(use?.detail).toContain(`relies on the approval of ${request.id}: use 1 of 2`);
    const issued = entries.filter((e) => e.grantId !== null && e.type === 'allowed').map((e) => e.grantId);
    expect(issued).toEqual([grants[0]]);
    const granted = entries.find((e) => e.type === 'granted');
    expect(granted?.grantId).not.toBe(grants[0]);
    expect(entries.filter((e) => e.type === 'executed')).toHaveLength(2);
    expect((await cs.audit.verify()).ok).toBe(true);
    await cs.close();
  });

  test('scope actor and same param paths: another session, other rows, same table', async () => {
    const { cs, transport } = setup({
      policy: reuseRule({ reuse: { within: '1h', scope: 'actor', same: ['table'] } }),
    });
    await approvedOnce(cs, transport);
    const otherRows = { ...EXPORT, params: { table: 'customers', rows: 5 } };
    expect((await later(cs, transport, otherRows, { ...CONTEXT, sessionId: 'next' })).settled).toBe('ran');
    const otherTable = { ...EXPORT, params: { table: 'payroll', rows: 5 } };
    expect((await later(cs, transport, otherTable)).asked).toBe(true);
    await cs.close();
  });

  test('revokeReuse by someone who is not an approver is refused and audited', async () => {
    const { cs, transport } = setup({ policy: reuseRule() });
    const request = await approvedOnce(cs, transport);
    await expect(cs.revokeReuse(request.id, { by: 'user:mallory' })).rejects.toMatchObject({
      code: ErrorCode.NotEligible,
    });
    const refused = (await cs.audit.entries()).filter((e) => e.type === 'refused');
    expect(refused).toMatchObject([
      { approver: 'user:mallory', detail: expect.stringContaining('revoke reuse') },
    ]);
    expect((await later(cs, transport)).settled).toBe('ran');
    await cs.close();
  });
});
