import { createMemoryStore } from '@countersign/memory-store';
import { afterEach, describe, expect, test } from 'vitest';
import type { FollowUpNotice } from '../src/contracts/transport.js';
import { createPagerDutyOnCall, ErrorCode } from '../src/index.js';
import { resolveOptions } from '../src/instance/options.js';
import type { PolicyRule } from '../src/model/rule.js';
import { Runtime } from '../src/runtime/runtime.js';
import { createRecordingTransport, createTestClock, startPagerDutyEmulator } from '../src/testing/index.js';
import { attempt, CONTEXT, DIRECTORY, setup } from './helpers.js';

const MINUTE = 60_000;
const RULE: PolicyRule = {
  id: 'deploys',
  match: { action: 'infra.deploy' },
  effect: 'require_approval',
  approvers: { users: ['user:bob', 'user:carol'] },
  quorum: 2,
  requestTtl: '1h',
  remindAfter: '10m',
  escalateAfter: '20m',
  escalateTo: { users: ['user:dave'] },
};
const DEPLOY = { name: 'infra.deploy', params: { service: 'api' } };

/** A recording transport that also records follow-ups. */
function followUpTransport() {
  const transport = createRecordingTransport();
  const notices: FollowUpNotice[] = [];
  return {
    transport: Object.assign(transport, {
      remind: async (_request: unknown, notice: FollowUpNotice) => {
        notices.push(notice);
      },
    }),
    notices,
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('reminders and escalation: configuration', () => {
  test.each([
    [{ escalateAfter: '5m' as const, escalateTo: undefined }, 'go together'],
    [{ escalateTo: { onCall: 'schedule:P1' } }, 'no onCall resolver'],
    [{ effect: 'allow' as const, approvers: undefined, quorum: undefined }, 'only apply to require_approval'],
    [{ escalateTo: { user: ['x'] } as never }, 'user'],
  ])('%j is a ConfigError', (change, problem) => {
    expect(() => setup({ policy: [{ ...RULE, ...change }] })).toThrow(problem);
  });
});

describe('reminders and escalation', () => {
  test('a reminder goes to those who have not decided, once, audited', async () => {
    const { transport, notices } = followUpTransport();
    const { cs, clock, auditTypes } = setup({ policy: [RULE], transports: [transport] });
    const call = attempt(cs, DEPLOY);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await clock.advance(9 * MINUTE);
    expect(notices).toEqual([]);
    await clock.advance(2 * MINUTE);
    expect(notices).toEqual([{ kind: 'reminder', to: ['user:carol'] }]);
    await clock.advance(5 * MINUTE);
    expect((await auditTypes()).filter((type) => type === 'reminded')).toHaveLength(1);
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    expect(await call.outcome).toBe('ran');
    await cs.close();
  });

  test('escalation adds the escalation approvers, notifies them, and their approval counts', async () => {
    const { transport, notices } = followUpTransport();
    const { cs, clock } = setup({ policy: [RULE], transports: [transport] });
    const call = attempt(cs, DEPLOY);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await expect(cs.decide(request.id, { approver: 'user:dave', outcome: 'approve' })).rejects.toMatchObject({
      code: ErrorCode.NotEligible,
    });
    await clock.advance(21 * MINUTE);
    expect(notices.at(-1)).toEqual({ kind: 'escalation', to: ['user:dave'] });
    const escalated = await cs.getRequest(request.id);
    expect(escalated?.approvers).toEqual(['user:bob', 'user:carol', 'user:dave']);
    const entry = (await cs.audit.entries()).find((e) => e.type === 'escalated');
    expect(entry?.detail).toBe('added user:dave');
    await cs.decide(request.id, { approver: 'user:dave', outcome: 'approve' });
    expect(await call.outcome).toBe('ran');
    await cs.close();
  });

  test('escalation firing after the original approvers decided has no effect', async () => {
    const store = createMemoryStore();
    const clock = createTestClock();
    const { cs, transport } = setup({ policy: [RULE], store, clock });
    const call = attempt(cs, DEPLOY);
    const delivered = await transport.nextDelivery();
    const stale = (await cs.getRequest(delivered.id))!;
    await cs.decide(delivered.id, { approver: 'user:bob', outcome: 'deny', comment: 'not now' });
    expect(await call.outcome).toMatchObject({ code: ErrorCode.ApprovalDenied });
    await clock.advance(25 * MINUTE);
    // Another process, holding the request as it was while pending, runs its follow-ups late.
    const other = new Runtime(resolveOptions({ store, policy: [RULE], directory: DIRECTORY, clock }));
    await other.options.features.followUps.due(other, stale);
    const after = await cs.getRequest(delivered.id);
    expect(after).toMatchObject({ status: 'denied', approvers: ['user:bob', 'user:carol'] });
    const types = (await cs.audit.entries()).map((e) => e.type);
    expect(types).not.toContain('escalated');
    await cs.close();
  });

  test('followUp() sends what is due for requests nobody waits on', async () => {
    const { transport, notices } = followUpTransport();
    const { cs, clock } = setup({ policy: [RULE], transports: [transport] });
    const opened = await cs.open(DEPLOY, { ...CONTEXT, idempotencyKey: 'k1' });
    if (opened.status !== 'pending') throw new Error('expected pending');
    expect(await cs.followUp()).toBe(1);
    expect(notices).toEqual([]);
    await clock.advance(21 * MINUTE);
    await cs.followUp();
    expect(notices).toEqual([
      { kind: 'reminder', to: ['user:bob', 'user:carol'] },
      { kind: 'escalation', to: ['user:dave'] },
    ]);
    await cs.followUp();
    expect(notices).toHaveLength(2);
    expect((await cs.getRequest(opened.requestId))?.approvers).toContain('user:dave');
    await cs.close();
  });

  test('nobody answers, even after escalation: the request expires and fails closed', async () => {
    const { transport } = followUpTransport();
    const { cs, clock } = setup({ policy: [RULE], transports: [transport] });
    const call = attempt(cs, DEPLOY);
    await transport.nextDelivery();
    await clock.advance(61 * MINUTE);
    expect(await call.outcome).toMatchObject({ code: ErrorCode.ApprovalExpired });
    expect(call.ran()).toBe(false);
    await cs.close();
  });
});

describe('on-call escalation through PagerDuty GET /oncalls (local emulator)', () => {
  const TOKEN = 'u+emulated-token-123';
  const ONCALLS = [
    {
      user: { id: 'PU1', summary: 'erin', email: 'erin@example.com' },
      escalationPolicyId: 'PEP1',
      scheduleId: 'PS1',
      escalationLevel: 1,
      start: null,
      end: null,
    },
    {
      user: { id: 'PU2', summary: 'frank', email: 'frank@example.com' },
      escalationPolicyId: 'PEP1',
      scheduleId: null,
      escalationLevel: 2,
      start: null,
      end: null,
    },
  ];
  const ONCALL_RULE: PolicyRule = { ...RULE, escalateTo: { onCall: 'escalation_policy:PEP1' } };

  async function emulator() {
    const pd = await startPagerDutyEmulator({ token: TOKEN, oncalls: ONCALLS });
    cleanups.push(() => pd.close());
    return pd;
  }

  test('the resolver reads who is on call at the first level, with the token, on 127.0.0.1', async () => {
    const pd = await emulator();
    const resolver = createPagerDutyOnCall({ token: TOKEN, baseUrl: pd.url });
    const signal = new AbortController().signal;
    expect(await resolver.resolve('escalation_policy:PEP1', Date.now(), { signal })).toEqual([
      'user:erin@example.com',
    ]);
    expect(await resolver.resolve('schedule:PS1', Date.now(), { signal })).toEqual(['user:erin@example.com']);
    expect(await resolver.resolve('schedule:NONE', Date.now(), { signal })).toEqual([]);
    expect(pd.requests.every((r) => r.authorized && r.path === '/oncalls')).toBe(true);
    expect(pd.requests[0]?.query.getAll('escalation_policy_ids[]')).toEqual(['PEP1']);
    await expect(resolver.resolve('users:PU1', Date.now(), { signal })).rejects.toThrow('must be');
    const wrong = createPagerDutyOnCall({ token: 'wrong', baseUrl: pd.url });
    const refused = await wrong.resolve('schedule:PS1', Date.now(), { signal }).catch((e) => e);
    expect(String(refused.message)).toContain('401');
    expect(String(refused.message)).not.toContain('wrong');
  });

  test('escalation adds the person on call, who can then approve', async () => {
    const pd = await emulator();
    const { transport, notices } = followUpTransport();
    const onCall = createPagerDutyOnCall({
      token: TOKEN,
      baseUrl: pd.url,
      identityOf: (u) => `user:${u.summary}`,
    });
    const { cs, clock } = setup({ policy: [ONCALL_RULE], transports: [transport], onCall });
    const call = attempt(cs, DEPLOY);
    const request = await transport.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await clock.advance(21 * MINUTE);
    for (let i = 0; i < 50 && notices.every((n) => n.kind !== 'escalation'); i++) await clock.advance(1_000);
    expect(notices.at(-1)).toEqual({ kind: 'escalation', to: ['user:erin'] });
    const entry = (await cs.audit.entries()).find((e) => e.type === 'escalated');
    expect(entry?.detail).toBe('added user:erin (on call: escalation_policy:PEP1)');
    await cs.decide(request.id, { approver: 'user:erin', outcome: 'approve' });
    expect(await call.outcome).toBe('ran');
    await cs.close();
  });

  test('an on-call lookup that fails adds nobody; the request stays with its approvers', async () => {
    const pd = await emulator();
    const { transport } = followUpTransport();
    const onCall = createPagerDutyOnCall({ token: 'wrong', baseUrl: pd.url });
    const { cs, clock } = setup({ policy: [ONCALL_RULE], transports: [transport], onCall });
    const errors: unknown[] = [];
    cs.on('transport_error', (event) => errors.push(event.error));
    attempt(cs, { ...DEPLOY }, { ...CONTEXT, sessionId: 's2' });
    const request = await transport.nextDelivery();
    await clock.advance(21 * MINUTE);
    for (let i = 0; i < 50 && errors.length === 0; i++) await clock.advance(1_000);
    expect(String((errors[0] as Error).message)).toContain('401');
    expect((await cs.getRequest(request.id))?.approvers).toEqual(['user:bob', 'user:carol']);
    await cs.close();
  });
});
