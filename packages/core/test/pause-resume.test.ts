import { describe, expect, test } from 'vitest';
import {
  ApprovalPendingError,
  type Countersign,
  describeOutcome,
  ErrorCode,
  isCountersignError,
} from '../src/index.js';
import { attempt, CONTEXT, EXPORT, setup, tick } from './helpers.js';

const KEY = { ...CONTEXT, idempotencyKey: 'call_0' };

async function approve(cs: Countersign, requestId: string) {
  await cs.decide(requestId, { approver: 'user:bob', outcome: 'approve' });
  await cs.decide(requestId, { approver: 'user:carol', outcome: 'approve' });
}

describe('open()', () => {
  test('opens a pending request, delivers it, and runs nothing', async () => {
    const { cs, transport, auditTypes } = setup();
    const opened = await cs.open(EXPORT, KEY);
    expect(opened).toMatchObject({ status: 'pending', ruleId: 'exports-need-two' });
    if (opened.status !== 'pending') throw new Error('unreachable');
    expect(transport.delivered.map((r) => r.id)).toEqual([opened.requestId]);
    expect(await auditTypes()).toEqual(['requested', 'delivered']);
    // The same call opened again re-attaches: one request, one delivery.
    const again = await cs.open(EXPORT, KEY);
    expect(again).toEqual(opened);
    expect(transport.delivered).toHaveLength(1);
  });

  test('says allowed or denied without writing a request', async () => {
    const { cs, auditTypes } = setup();
    expect(await cs.open({ name: 'db.read', resource: 'x' }, CONTEXT)).toEqual({
      status: 'allowed',
      ruleId: 'reads-ok',
    });
    const denied = await cs.open({ name: 'iam.grant' }, CONTEXT);
    expect(denied).toMatchObject({ status: 'denied', code: 'policy_denied', ruleId: 'no-escalation' });
    expect(await auditTypes()).toEqual(['policy_denied']);
  });

  test('reports approved, then denied with the comment, as the request moves on', async () => {
    const { cs } = setup();
    const opened = await cs.open(EXPORT, KEY);
    if (opened.status !== 'pending') throw new Error('expected pending');
    await approve(cs, opened.requestId);
    expect(await cs.open(EXPORT, KEY)).toMatchObject({ status: 'approved', requestId: opened.requestId });

    const other = { ...CONTEXT, idempotencyKey: 'call_1' };
    const second = await cs.open(EXPORT, other);
    if (second.status !== 'pending') throw new Error('expected pending');
    await cs.decide(second.requestId, { approver: 'user:bob', outcome: 'deny', comment: 'not this week' });
    expect(await cs.open(EXPORT, other)).toMatchObject({
      status: 'denied',
      code: 'approval_denied',
      requestId: second.requestId,
      comment: 'not this week',
    });
  });
});

describe('guard with wait: false', () => {
  test('throws ApprovalPendingError, then runs once approved, then refuses a second run', async () => {
    const { cs } = setup();
    const first = attempt(cs, EXPORT, { ...KEY, wait: false });
    const error = await first.outcome;
    expect(error).toBeInstanceOf(ApprovalPendingError);
    expect(first.ran()).toBe(false);
    const { requestId, expiresAt } = error as ApprovalPendingError;
    expect(typeof expiresAt).toBe('number');

    // Not approved yet: still pending, nothing runs.
    const early = attempt(cs, EXPORT, { ...KEY, wait: false });
    expect(isCountersignError(await early.outcome, ErrorCode.ApprovalPending)).toBe(true);
    expect(early.ran()).toBe(false);

    await approve(cs, requestId);
    const resumed = attempt(cs, EXPORT, { ...KEY, wait: false });
    expect(await resumed.outcome).toBe('ran');

    const replay = attempt(cs, EXPORT, { ...KEY, wait: false });
    expect(isCountersignError(await replay.outcome, ErrorCode.AlreadyStarted)).toBe(true);
    expect(replay.ran()).toBe(false);
  });

  test('resumes by request id, and only for the exact call', async () => {
    const { cs } = setup();
    const opened = await cs.open(EXPORT, CONTEXT);
    if (opened.status !== 'pending') throw new Error('expected pending');
    await approve(cs, opened.requestId);
    const widened = attempt(
      cs,
      { ...EXPORT, params: { table: 'customers', format: 'csv', limit: 1e9 } },
      { ...CONTEXT, requestId: opened.requestId },
    );
    const conflict = await widened.outcome;
    expect(isCountersignError(conflict, ErrorCode.IdempotencyConflict)).toBe(true);
    expect((conflict as Error).message).toContain('params');
    expect(widened.ran()).toBe(false);
    const otherSession = attempt(cs, EXPORT, {
      ...CONTEXT,
      sessionId: 'sess_x',
      requestId: opened.requestId,
    });
    expect(((await otherSession.outcome) as Error).message).toContain('session');
    expect(otherSession.ran()).toBe(false);
    const exact = attempt(cs, EXPORT, { ...CONTEXT, requestId: opened.requestId });
    expect(await exact.outcome).toBe('ran');
  });

  test('after a denial or expiry the resume throws the final error and runs nothing', async () => {
    const { cs, clock, auditTypes } = setup();
    const opened = await cs.open(EXPORT, KEY);
    if (opened.status !== 'pending') throw new Error('expected pending');
    await cs.decide(opened.requestId, { approver: 'user:bob', outcome: 'deny', comment: 'no' });
    const denied = attempt(cs, EXPORT, KEY);
    expect(isCountersignError(await denied.outcome, ErrorCode.ApprovalDenied)).toBe(true);
    expect(denied.ran()).toBe(false);

    const later = { ...CONTEXT, idempotencyKey: 'call_late' };
    const pending = await cs.open(EXPORT, later);
    if (pending.status !== 'pending') throw new Error('expected pending');
    await clock.advance(16 * 60_000);
    const expired = attempt(cs, EXPORT, { ...later, wait: false });
    expect(isCountersignError(await expired.outcome, ErrorCode.ApprovalExpired)).toBe(true);
    expect(expired.ran()).toBe(false);
    expect(await auditTypes()).toContain('expired');
  });

  test('idempotency keys are scoped to the session: call_0 in two sessions is two requests', async () => {
    const { cs } = setup();
    const a = await cs.open(EXPORT, { ...CONTEXT, idempotencyKey: 'call_0' });
    const b = await cs.open(EXPORT, { ...CONTEXT, sessionId: 'sess_43', idempotencyKey: 'call_0' });
    if (a.status !== 'pending' || b.status !== 'pending') throw new Error('expected pending');
    expect(a.requestId).not.toBe(b.requestId);
  });
});

describe('onAbort', () => {
  test("'detach' leaves the request pending for a later resume", async () => {
    const { cs, transport } = setup();
    const controller = new AbortController();
    const waiting = attempt(cs, EXPORT, { ...KEY, signal: controller.signal, onAbort: 'detach' });
    const request = await transport.nextDelivery();
    controller.abort();
    const error = await waiting.outcome;
    expect(isCountersignError(error, ErrorCode.ApprovalPending)).toBe(true);
    expect((await cs.getRequest(request.id))?.status).toBe('pending');
    await approve(cs, request.id);
    const resumed = attempt(cs, EXPORT, KEY);
    expect(await resumed.outcome).toBe('ran');
    expect(waiting.ran()).toBe(false);
  });

  test("'cancel' (the default) cancels the request for good", async () => {
    const { cs, transport } = setup();
    const controller = new AbortController();
    const waiting = attempt(cs, EXPORT, { ...KEY, signal: controller.signal });
    const request = await transport.nextDelivery();
    controller.abort();
    expect(isCountersignError(await waiting.outcome, ErrorCode.ApprovalCancelled)).toBe(true);
    expect((await cs.getRequest(request.id))?.status).toBe('cancelled');
  });

  test('a detach racing the approval that lands in the same tick runs the action at most once', async () => {
    for (let round = 0; round < 20; round++) {
      const { cs, transport } = setup();
      const controller = new AbortController();
      const waiting = attempt(cs, EXPORT, { ...KEY, signal: controller.signal, onAbort: 'detach' });
      const request = await transport.nextDelivery();
      await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
      const second = cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
      if (round % 2 === 0) controller.abort();
      await second;
      if (round % 2 === 1) controller.abort();
      await waiting.outcome;
      const resumed = attempt(cs, EXPORT, KEY);
      await resumed.outcome;
      const runs = Number(waiting.ran()) + Number(resumed.ran());
      expect(runs).toBe(1);
    }
  });

  test('two resumes racing: exactly one runs', async () => {
    const { cs } = setup();
    const opened = await cs.open(EXPORT, KEY);
    if (opened.status !== 'pending') throw new Error('expected pending');
    await approve(cs, opened.requestId);
    const a = attempt(cs, EXPORT, KEY);
    const b = attempt(cs, EXPORT, KEY);
    const outcomes = await Promise.all([a.outcome, b.outcome]);
    expect(Number(a.ran()) + Number(b.ran())).toBe(1);
    expect(outcomes.filter((o) => isCountersignError(o, ErrorCode.AlreadyStarted))).toHaveLength(1);
  });
});

describe('waitForDecision()', () => {
  test('resolves with the decided request and runs nothing', async () => {
    const { cs } = setup();
    const opened = await cs.open(EXPORT, KEY);
    if (opened.status !== 'pending') throw new Error('expected pending');
    let settled = false;
    const waited = cs.waitForDecision(opened.requestId).then((r) => {
      settled = true;
      return r;
    });
    await tick();
    expect(settled).toBe(false);
    await approve(cs, opened.requestId);
    expect((await waited).status).toBe('approved');
  });

  test('expires the request at its deadline', async () => {
    const { cs, clock, auditTypes } = setup();
    const opened = await cs.open(EXPORT, KEY);
    if (opened.status !== 'pending') throw new Error('expected pending');
    const waited = cs.waitForDecision(opened.requestId);
    await clock.advance(15 * 60_000);
    expect((await waited).status).toBe('expired');
    expect(await auditTypes()).toContain('expired');
  });

  test('an abort stops waiting and leaves the request pending', async () => {
    const { cs } = setup();
    const opened = await cs.open(EXPORT, KEY);
    if (opened.status !== 'pending') throw new Error('expected pending');
    const controller = new AbortController();
    const waited = cs.waitForDecision(opened.requestId, { signal: controller.signal }).catch((e) => e);
    controller.abort();
    expect(isCountersignError(await waited, ErrorCode.ApprovalPending)).toBe(true);
    expect((await cs.getRequest(opened.requestId))?.status).toBe('pending');
  });

  test('an unknown request id is request_not_found', async () => {
    const { cs } = setup();
    const error = await cs.waitForDecision('req_nope').catch((e) => e);
    expect(isCountersignError(error, ErrorCode.RequestNotFound)).toBe(true);
  });
});

describe('check()', () => {
  test('audits a denial as a pre-check and writes nothing for allow or approval', async () => {
    const { cs, auditTypes } = setup();
    expect(await cs.check({ name: 'db.read' }, CONTEXT)).toMatchObject({
      effect: 'allow',
      ruleId: 'reads-ok',
    });
    expect(await cs.check(EXPORT, CONTEXT)).toMatchObject({
      effect: 'require_approval',
      ruleId: 'exports-need-two',
    });
    expect(await auditTypes()).toEqual([]);
    expect(await cs.check({ name: 'iam.grant' }, CONTEXT)).toMatchObject({
      effect: 'deny',
      ruleId: 'no-escalation',
    });
    const entries = await cs.audit.entries();
    expect(entries.map((e) => [e.type, e.detail])).toEqual([['policy_denied', 'pre-check']]);
  });

  test('validates its input like guard', async () => {
    const { cs } = setup();
    const error = await cs.check({ name: '' }, CONTEXT).catch((e) => e);
    expect(isCountersignError(error, ErrorCode.InvalidInput)).toBe(true);
  });
});

describe('describeOutcome()', () => {
  const cases: [string, boolean][] = [
    ['policy_denied', true],
    ['no_eligible_approvers', true],
    ['approval_denied', true],
    ['approval_expired', false],
    ['approval_cancelled', false],
    ['approval_pending', false],
    ['delivery_failed', false],
    ['too_many_pending', false],
    ['already_started', true],
    ['idempotency_conflict', true],
    ['invalid_input', true],
    ['grant_refused', true],
    ['outcome_not_recorded', true],
    ['store_failed', false],
    ['credential_failed', false],
    ['corrupt_record', false],
    ['closed', false],
    ['invalid_config', false],
  ];
  test.each(cases)('%s is final: %s, and its message names no id', async (code, final) => {
    const { cs } = setup();
    const error = Object.assign(new Error('x'), { code, requestId: 'req_secret_id' });
    Object.defineProperty(error, Symbol.for('countersign.error'), { value: true });
    const described = describeOutcome(error);
    expect(described).toMatchObject({ code, final });
    expect(described.message).not.toContain('req_');
    await cs.close();
  });

  test('every error code is described', () => {
    for (const code of Object.values(ErrorCode)) {
      if (
        [
          'already_decided',
          'already_voted',
          'self_approval',
          'not_eligible',
          'request_not_found',
          'batch_refused',
        ].includes(code)
      )
        continue;
      expect(cases.map(([c]) => c)).toContain(code);
    }
  });

  test('carries the approver comment of a real denial, and describes open() results', async () => {
    const { cs } = setup();
    const opened = await cs.open(EXPORT, KEY);
    if (opened.status !== 'pending') throw new Error('expected pending');
    await cs.decide(opened.requestId, { approver: 'user:bob', outcome: 'deny', comment: 'use the sample' });
    const error = await attempt(cs, EXPORT, KEY).outcome;
    expect(describeOutcome(error)).toEqual({
      code: 'approval_denied',
      final: true,
      message: expect.stringContaining('denied'),
      comment: 'use the sample',
      text: expect.stringMatching(/denied.*The reviewer said: "use the sample"$/),
    });
    expect(describeOutcome(await cs.open(EXPORT, KEY))).toMatchObject({
      code: 'approval_denied',
      final: true,
      comment: 'use the sample',
    });
    expect(describeOutcome({ status: 'pending' })).toMatchObject({ code: 'approval_pending', final: false });
    expect(describeOutcome(new TypeError('boom'))).toMatchObject({ code: 'action_failed' });
  });
});

describe('tool names and tool-call keys for adapters', () => {
  test('dotted actions map to tool names and back, and only losslessly', async () => {
    const { toolNameFor, actionNameFor, toolCallKey } = await import('../src/index.js');
    expect(toolNameFor('db.export')).toBe('db__export');
    expect(actionNameFor('db__export')).toBe('db.export');
    expect(() => toolNameFor('db.ex__port')).toThrow(/no reversible tool name/);
    expect(() => toolNameFor('a.'.repeat(40))).toThrow(/no reversible tool name/);
    expect(() => actionNameFor('db___export')).toThrow(/not made by toolNameFor/);
    expect(toolCallKey('call_0')).toBe('tool-call:call_0');
    expect(toolCallKey('x'.repeat(300))).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('a resume declaring a higher risk', () => {
  test('is an idempotency_conflict naming the risk, and an identical call at a higher risk is its own request', async () => {
    const { cs, transport } = setup();
    const key = { ...CONTEXT, idempotencyKey: 'risky' };
    const opened = await cs.open({ ...EXPORT, risk: 'low' }, key);
    if (opened.status !== 'pending') throw new Error('expected pending');
    const error = await attempt(cs, { ...EXPORT, risk: 'critical' }, { ...key, wait: false }).outcome;
    expect(isCountersignError(error, ErrorCode.IdempotencyConflict)).toBe(true);
    expect((error as { differs: string[] }).differs.join()).toContain('risk');
    // Without a key: a twin at a higher risk is not merged into the lower one.
    await cs.open({ name: 'infra.deploy', params: { v: 1 }, risk: 'low' }, CONTEXT);
    await cs.open({ name: 'infra.deploy', params: { v: 1 }, risk: 'high' }, CONTEXT);
    expect(transport.delivered.filter((r) => r.action.name === 'infra.deploy')).toHaveLength(2);
  });
});
