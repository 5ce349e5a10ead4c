import { describe, expect, test } from 'vitest';
import type { z } from 'zod';
import { approvalRequestSchema } from '../src/model/approval.js';
import { grantRecordSchema } from '../src/model/grants.js';
import { frozenParts, plainGrant, plainRequest } from '../src/model/record-checks.js';
import {
  decisionInputSchema,
  grantCheckSchema,
  guardActionSchema,
  guardContextSchema,
  plainDecisionInput,
  plainGrantCheck,
  plainGuardInput,
} from '../src/model/schemas.js';
import { sampleGrant, sampleRequest } from '../src/testing/index.js';

/** A fast check may pass anything to the schema, but what it accepts, the schema must accept and read the same. */
function expectSchemaAgrees(fast: unknown, schema: z.ZodType, raw: unknown): void {
  if (fast === null) return;
  const parsed = schema.safeParse(raw);
  expect(parsed.success).toBe(true);
  expect(fast).toEqual(parsed.data);
}

class Box {
  a = 1;
}
const hole: unknown[] = ['a'];
hole[2] = 'c';

describe('plainRequest accepts only what approvalRequestSchema accepts, and returns the same', () => {
  const base = sampleRequest({
    decisions: [{ approver: 'user:bob', outcome: 'approve', comment: null, via: 'api', at: 1 }],
    deliveries: [{ transport: 'slack', ref: { ts: '1.2' }, at: 2 }],
  }) as unknown as Record<string, unknown>;
  const action = base.action as Record<string, unknown>;
  const decision = (base.decisions as Record<string, unknown>[])[0]!;
  const receipt = (base.deliveries as Record<string, unknown>[])[0]!;
  const cases: [string, unknown][] = [
    ['a valid request', base],
    ['a frozen request', Object.freeze({ ...base })],
    ['an extra member', { ...base, extra: 1 }],
    ['a missing member', { ...base, closedReason: undefined }],
    ['version 0', { ...base, version: 0 }],
    ['a fractional version', { ...base, version: 1.5 }],
    ['an unknown status', { ...base, status: 'paused' }],
    ['an unknown risk', { ...base, risk: 'extreme' }],
    ['a NaN deadline', { ...base, expiresAt: Number.NaN }],
    ['a numeric approver', { ...base, approvers: [1] }],
    ['approvers with a hole', { ...base, approvers: hole }],
    ['a decision with an extra member', { ...base, decisions: [{ ...decision, extra: 1 }] }],
    ['a decision saying maybe', { ...base, decisions: [{ ...decision, outcome: 'maybe' }] }],
    ['a receipt with a numeric ref', { ...base, deliveries: [{ ...receipt, ref: { ts: 1 } }] }],
    ['a receipt ref that is an array', { ...base, deliveries: [{ ...receipt, ref: ['x'] }] }],
    ['params with a Date', { ...base, action: { ...action, params: { when: new Date() } } }],
    ['params with a class instance', { ...base, action: { ...action, params: { box: new Box() } } }],
    ['params with Infinity', { ...base, action: { ...action, params: { n: Number.POSITIVE_INFINITY } } }],
    ['an action without name', { ...base, action: { ...action, name: undefined } }],
    ['a class instance', Object.assign(new Box(), base)],
    ['a symbol member', { ...base, [Symbol('s')]: 1 }],
    ['null', null],
    ['a string', 'request'],
  ];
  test.each(cases)('%s', (_what, raw) => {
    const fast = plainRequest(raw);
    const parsed = approvalRequestSchema.safeParse(raw);
    if (fast !== null) {
      expect(parsed.success).toBe(true);
      expect(fast).toEqual(parsed.data);
      expect(fast).not.toBe(raw);
    }
  });
  test('a well-formed request takes the fast path and comes back as a mutable copy', () => {
    const copy = plainRequest(base)!;
    expect(copy).toEqual(base);
    expect(copy.action.params).not.toBe(action.params);
    expect(plainRequest(JSON.parse(JSON.stringify(base)))).not.toBeNull();
  });
});

describe('a request read back shares only what cannot change, whatever the store does', () => {
  const decision = { approver: 'user:bob', outcome: 'approve' as const, comment: null, via: 'api', at: 1 };
  const written = () =>
    frozenParts(
      sampleRequest({
        decisions: [decision],
        deliveries: [{ transport: 'slack', ref: { ts: '1.2' }, at: 2 }],
      }),
    );
  test('core writes decisions and receipts frozen, copying them, so no transport object is frozen under it', () => {
    const ref = { ts: '1.2' };
    const request = frozenParts(sampleRequest({ deliveries: [{ transport: 'slack', ref, at: 2 }] }));
    expect(Object.isFrozen(request.deliveries)).toBe(true);
    expect(Object.isFrozen(request.deliveries[0]!.ref)).toBe(true);
    expect(Object.isFrozen(ref)).toBe(false);
  });
  test('a store that freezes nothing and hands the parts back gets them shared, the record copied', () => {
    const request = written();
    const read = plainRequest({ ...request })!;
    expect(read.decisions).toBe(request.decisions);
    expect(read.deliveries).toBe(request.deliveries);
    expect(Object.isFrozen(read)).toBe(false);
  });
  test('a part that is not frozen is copied, and checked again on every read: changed later, it is refused', () => {
    const raw = { ...written(), decisions: [{ ...decision }] };
    const read = plainRequest(raw)!;
    expect(read.decisions).not.toBe(raw.decisions);
    expect(plainRequest(raw)).not.toBeNull();
    (raw.decisions[0] as { outcome: string }).outcome = 'maybe';
    expect(plainRequest(raw)).toBeNull();
  });
});

describe('plainGrant accepts only what grantRecordSchema accepts', () => {
  const base = sampleGrant() as unknown as Record<string, unknown>;
  const cases: [string, unknown][] = [
    ['a valid grant', base],
    ['an extra member', { ...base, token: 'cst_x' }],
    ['a string expiry', { ...base, expiresAt: '1' }],
    ['a missing member', { ...base, revokedAt: undefined }],
    ['a numeric actor', { ...base, actor: 1 }],
  ];
  test.each(cases)('%s', (_what, raw) => expectSchemaAgrees(plainGrant(raw), grantRecordSchema, raw));
  test('a well-formed grant takes the fast path', () => expect(plainGrant(base)).toEqual(base));
});

describe('plainGuardInput accepts only what the guard schemas accept, and reads the same', () => {
  const action = { name: 'db.export', resource: 'prod/x', params: { a: 1 }, run: () => 1 };
  const context = { actor: 'agent:bot', reason: '  why  ', sessionId: 's1' };
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['a valid call', action, context],
    [
      'all optional members',
      { ...action, risk: 'high', resource: null },
      { ...context, onBehalfOf: 'user:a', idempotencyKey: 'k', signal: new AbortController().signal },
    ],
    ['an empty name', { ...action, name: '' }, context],
    ['a long name', { ...action, name: 'x'.repeat(257) }, context],
    ['a control character in the name', { ...action, name: 'a\u0007' }, context],
    ['a bidi mark in the actor', action, { ...context, actor: 'agent:\u202ebot' }],
    ['no run', { ...action, run: undefined }, context],
    ['run that is a string', { ...action, run: 'nope' }, context],
    ['a numeric resource', { ...action, resource: 1 }, context],
    ['an unknown risk', { ...action, risk: 'extreme' }, context],
    ['params as an array', { ...action, params: [1] }, context],
    ['params as a Date', { ...action, params: new Date() }, context],
    ['params as a class instance', { ...action, params: new Box() }, context],
    ['null-prototype params', { ...action, params: Object.create(null) }, context],
    ['params with a symbol key', { ...action, params: { [Symbol('s')]: 1 } }, context],
    ['a blank reason', action, { ...context, reason: '   ' }],
    ['a long reason', action, { ...context, reason: 'x'.repeat(2001) }],
    ['a numeric reason', action, { ...context, reason: 5 }],
    ['no session', action, { ...context, sessionId: undefined }],
    ['an empty actor', action, { ...context, actor: '' }],
    ['a null actor', action, { ...context, actor: null }],
    ['a bad onBehalfOf', action, { ...context, onBehalfOf: '' }],
    ['a bad idempotency key', action, { ...context, idempotencyKey: 7 }],
    ['a signal that is not one', action, { ...context, signal: { aborted: false } }],
    ['a class-instance context', action, Object.assign(new Box(), context)],
  ];
  test.each(cases)('%s', (_what, a, c) => {
    const fast = plainGuardInput(a, c);
    const parsedAction = guardActionSchema.safeParse(a);
    const parsedContext = guardContextSchema.safeParse(c);
    if (fast !== null) {
      expect(parsedAction.success && parsedContext.success).toBe(true);
      const { name, resource, params, risk, run } = parsedAction.data!;
      const ctx = parsedContext.data!;
      expect(fast).toEqual({
        name,
        resource,
        params,
        risk,
        run,
        actor: ctx.actor,
        onBehalfOf: ctx.onBehalfOf,
        sessionId: ctx.sessionId,
        reason: ctx.reason,
        idempotencyKey: ctx.idempotencyKey,
        requestId: ctx.requestId,
        wait: ctx.wait,
        onAbort: ctx.onAbort,
        signal: ctx.signal,
      });
    }
  });
  test('a well-formed call takes the fast path, with the reason trimmed; params are left to copyJsonParams', () => {
    const fast = plainGuardInput(action, context)!;
    expect(fast.reason).toBe('why');
    expect(fast.params).toBe(action.params);
  });
});

describe('plainGrantCheck accepts only what grantCheckSchema accepts, and reads the same', () => {
  const base = { name: 'db.read', resource: 'prod/x', params: { a: 1 }, sessionId: 's1' };
  const cases: [string, unknown][] = [
    ['a valid check', base],
    ['no resource or params', { name: 'db.read', sessionId: 's1' }],
    ['a null resource', { ...base, resource: null }],
    ['an extra member, which the schema strips', { ...base, extra: 1 }],
    ['an empty name', { ...base, name: '' }],
    ['a control character in the session', { ...base, sessionId: 's\u0000' }],
    ['no session', { ...base, sessionId: undefined }],
    ['a numeric resource', { ...base, resource: 7 }],
    ['params as an array', { ...base, params: [1] }],
    ['null-prototype params', { ...base, params: Object.create(null) }],
    ['params with a symbol key', { ...base, params: { [Symbol('s')]: 1 } }],
    ['a class instance', Object.assign(new Box(), base)],
    ['null', null],
  ];
  test.each(cases)('%s', (_what, raw) => expectSchemaAgrees(plainGrantCheck(raw), grantCheckSchema, raw));
  test('a well-formed check takes the fast path; params are left to copyJsonParams', () => {
    const fast = plainGrantCheck(base)!;
    expect(fast).toEqual(base);
  });
});

describe('plainDecisionInput accepts only what decisionInputSchema accepts, and reads the same', () => {
  const base = { approver: 'user:bob', outcome: 'approve', comment: 'ok', via: 'slack' };
  const cases: [string, unknown][] = [
    ['a full decision', base],
    ['approver and outcome only', { approver: 'user:bob', outcome: 'deny' }],
    ['an extra member, which the schema strips', { ...base, extra: 1 }],
    ['an empty approver', { ...base, approver: '' }],
    ['a long approver', { ...base, approver: 'u'.repeat(257) }],
    ['a bidi mark in the approver', { ...base, approver: 'user:\u202ebob' }],
    ['a maybe outcome', { ...base, outcome: 'maybe' }],
    ['a numeric comment', { ...base, comment: 1 }],
    ['a null comment', { ...base, comment: null }],
    ['a long comment', { ...base, comment: 'c'.repeat(2001) }],
    ['a comment at the limit', { ...base, comment: 'c'.repeat(2000) }],
    ['a long via', { ...base, via: 'v'.repeat(65) }],
    ['a via at the limit', { ...base, via: 'v'.repeat(64) }],
    ['an empty via', { ...base, via: '' }],
    ['a class instance', Object.assign(new Box(), base)],
    ['a string', 'approve'],
  ];
  test.each(cases)('%s', (_what, raw) =>
    expectSchemaAgrees(plainDecisionInput(raw), decisionInputSchema, raw),
  );
  test('a well-formed decision takes the fast path', () => expect(plainDecisionInput(base)).toEqual(base));
});
