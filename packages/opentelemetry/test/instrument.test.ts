import {
  type Countersign,
  createCountersign,
  type Grant,
  type GrantRecord,
  isCountersignError,
  lapseGrant,
  type Store,
} from '@countersign/core';
import { createTestClock, type TestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, test } from 'vitest';
import { Attr, GUARD_SPAN, instrument, Metric } from '../src/index.js';
import { Instruments } from '../src/metrics.js';
import { registerContextManager, sdk } from './telemetry.js';

const context = {
  actor: 'agent:report-bot',
  onBehalfOf: 'user:alice',
  reason: 'Q3 report',
  sessionId: 'sess_1',
};
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The store without `revokeGrantAndUpdateRequest`: core then writes a revocation's entry apart from the outcome's. */
function withoutCombinedRevoke(store: Store): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'revokeGrantAndUpdateRequest') return undefined;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function setup(options: { combinedRevoke?: boolean } = {}): {
  cs: Countersign;
  store: Store;
  clock: TestClock;
  otel: ReturnType<typeof sdk>;
} {
  const clock = createTestClock();
  const otel = sdk();
  const memory = createMemoryStore();
  const store = options.combinedRevoke === false ? withoutCombinedRevoke(memory) : memory;
  const plain = createCountersign({
    store,
    clock,
    transports: [{ name: 'test', deliver: async () => ({}) }],
    directory: { 'user:bob': { groups: ['owners'] }, 'user:carol': { groups: ['owners'] } },
    policy: [
      { id: 'reads-ok', match: { action: 'db.read' }, effect: 'allow' },
      { id: 'no-iam', match: { action: 'iam.*' }, effect: 'deny' },
      {
        id: 'exports-need-one',
        match: { action: 'db.export' },
        effect: 'require_approval',
        approvers: { groups: ['owners'] },
      },
    ],
  });
  const cs = instrument(plain, { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider });
  cleanups.push(() => cs.close());
  return { cs, store, clock, otel };
}

function requested(cs: Countersign): Promise<string> {
  return new Promise((resolve) => cs.once('delivered', (event) => resolve(event.entry.requestId!)));
}

const exportCall = (run: (grant: Grant) => unknown = () => 'csv') => ({
  name: 'db.export',
  resource: 'prod/customers',
  params: { table: 'customers' },
  run,
});

describe('guard spans: failures first', () => {
  test('a denied approval: error status with the code, outcome, wait time, and the approver on an event', async () => {
    const { cs, clock, otel } = setup();
    const pending = requested(cs);
    const call = cs.guard(exportCall(), context).catch((error: unknown) => error);
    const id = await pending;
    await clock.advance(4_000);
    await cs.decide(id, { approver: 'user:carol', outcome: 'deny', comment: 'no', via: 'slack' });
    expect(isCountersignError(await call, 'approval_denied')).toBe(true);
    const [span] = otel.spans();
    expect(span!.name).toBe(GUARD_SPAN);
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'approval_denied' });
    expect(span!.attributes).toEqual({
      [Attr.ToolName]: 'db.export',
      [Attr.Resource]: 'prod/customers',
      [Attr.Actor]: 'agent:report-bot',
      [Attr.Rule]: 'exports-need-one',
      [Attr.RequestId]: id,
      [Attr.Quorum]: 1,
      [Attr.Outcome]: 'denied',
      [Attr.WaitMs]: 4_000,
      [Attr.ErrorType]: 'approval_denied',
    });
    // The deny that settles the request is one event, with its approver.
    expect(span!.events.map((e) => e.name)).toEqual(['requested', 'delivered', 'denied']);
    expect(span!.events[2]!.attributes).toEqual({ [Attr.Approver]: 'user:carol', [Attr.Via]: 'slack' });
  });

  test('a policy denial and a failing action are errors; an action error message never reaches the span', async () => {
    const { cs, otel } = setup();
    await cs
      .guard({ name: 'iam.grant', resource: 'prod', params: {}, run: () => 1 }, context)
      .catch(() => {});
    const secret = () => {
      throw new Error('connect failed: password=hunter2');
    };
    await cs
      .guard({ name: 'db.read', resource: 'prod/db', params: {}, run: secret }, context)
      .catch(() => {});
    const [denied, failed] = otel.spans();
    expect(denied!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'policy_denied' });
    expect(denied!.attributes[Attr.Outcome]).toBe('policy_denied');
    expect(denied!.attributes[Attr.WaitMs]).toBeUndefined();
    expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Error' });
    expect(failed!.events.map((e) => e.name)).toContain('failed');
    expect(JSON.stringify([failed!.attributes, failed!.events, failed!.status])).not.toContain('hunter2');
  });

  test('bad input fails exactly as without instrumentation: a ValidationError, nothing audited, no span', async () => {
    const { cs, otel } = setup();
    const bad = [
      [{ name: 'db.read', params: {}, run: 'not a function' }, context],
      [null, context],
      [
        { name: 'db.read', params: {}, run: () => 1 },
        { ...context, actor: 42 },
      ],
    ];
    for (const [action, ctx] of bad) {
      const error = await cs.guard(action as never, ctx as never).catch((e: unknown) => e);
      expect(isCountersignError(error, 'invalid_input')).toBe(true);
    }
    expect(await cs.audit.head()).toBeNull();
    expect(otel.spans()).toEqual([]);
  });

  test('concurrent guards decided in reverse order each get their own events', async () => {
    const { cs, otel } = setup();
    let pending = requested(cs);
    const first = cs.guard(
      exportCall(() => 'first'),
      context,
    );
    const firstId = await pending;
    pending = requested(cs);
    const second = cs.guard(
      exportCall(() => 'second'),
      { ...context, sessionId: 'sess_2' },
    );
    const secondId = await pending;
    await cs.decide(secondId, { approver: 'user:bob', outcome: 'approve', via: 'test' });
    await expect(second).resolves.toBe('second');
    await cs.decide(firstId, { approver: 'user:carol', outcome: 'approve', via: 'test' });
    await expect(first).resolves.toBe('first');
    const spans = otel.spans();
    const approverOf = (requestId: string) =>
      spans.find((s) => s.attributes[Attr.RequestId] === requestId)?.events.find((e) => e.name === 'approved')
        ?.attributes?.[Attr.Approver];
    expect(approverOf(firstId)).toBe('user:carol');
    expect(approverOf(secondId)).toBe('user:bob');
    for (const span of spans) {
      expect(span.events.map((e) => e.name)).toEqual([
        'requested',
        'delivered',
        'approved',
        'granted',
        'executed',
      ]);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes[Attr.Outcome]).toBe('approved');
    }
  });
});

describe('guard spans', () => {
  test('an allowed call: attributes, one event per step, and the span is active inside run', async () => {
    cleanups.push(registerContextManager());
    const { cs, otel } = setup();
    let inside: string | undefined;
    const result = await cs.guard(
      {
        name: 'db.read',
        resource: 'prod/db',
        params: { table: 'orders' },
        run: async () => {
          await Promise.resolve();
          inside = trace.getActiveSpan()?.spanContext().spanId;
          return 3;
        },
      },
      context,
    );
    expect(result).toBe(3);
    const [span] = otel.spans();
    expect(inside).toBe(span!.spanContext().spanId);
    expect(span!.attributes).toEqual({
      [Attr.ToolName]: 'db.read',
      [Attr.Resource]: 'prod/db',
      [Attr.Actor]: 'agent:report-bot',
      [Attr.Rule]: 'reads-ok',
      [Attr.Outcome]: 'allowed',
    });
    // The outcome also records the grant's revocation: no `revoked` event of its own.
    expect(span!.events.map((e) => e.name)).toEqual(['allowed', 'executed']);
  });

  test('wrap() is traced too; other methods pass through to the instance', async () => {
    const { cs, otel } = setup();
    const read = cs.wrap({ name: 'db.read', resource: 'prod/db' }, (input: { table: string }) => input.table);
    await expect(read({ table: 'orders' }, context)).resolves.toBe('orders');
    expect(otel.spans().map((s) => s.attributes[Attr.ToolName])).toEqual(['db.read']);
    expect(cs.explain({ action: 'iam.x', actor: 'agent:a' }).ruleId).toBe('no-iam');
    expect((await cs.audit.head())?.seq).toBe(2);
    expect(cs.on('allowed', () => {})).toBe(cs);
  });

  test('with no SDK registered nothing is recorded and calls behave the same', async () => {
    const plain = createCountersign({
      store: createMemoryStore(),
      transports: [{ name: 'test', deliver: async () => ({}) }],
      policy: [{ id: 'reads-ok', match: { action: 'db.read' }, effect: 'allow' }],
    });
    const cs = instrument(plain);
    cleanups.push(() => cs.close());
    expect(trace.getTracerProvider().getTracer('x').startSpan('probe').isRecording()).toBe(false);
    await expect(cs.guard({ name: 'db.read', params: {}, run: () => 'ok' }, context)).resolves.toBe('ok');
  });
});

describe('metrics', () => {
  test('pending requests go up and down; time to decision and decisions by outcome', async () => {
    const { cs, clock, otel } = setup();
    let pending = requested(cs);
    const approved = cs.guard(exportCall(), context);
    const approvedId = await pending;
    pending = requested(cs);
    const expiring = cs.guard(exportCall(), { ...context, sessionId: 'sess_2' }).catch(() => {});
    await pending;
    expect(await otel.points(Metric.Pending)).toEqual([{ attributes: {}, value: 2 }]);
    await clock.advance(2_000);
    await cs.decide(approvedId, { approver: 'user:bob', outcome: 'approve', via: 'test' });
    await approved;
    expect(await otel.points(Metric.Pending)).toEqual([{ attributes: {}, value: 1 }]);
    await clock.advance(15 * 60_000);
    await expiring;
    expect(await otel.points(Metric.Pending)).toEqual([{ attributes: {}, value: 0 }]);
    await cs.guard({ name: 'db.read', params: {}, run: () => 1 }, context);
    await cs.guard({ name: 'iam.grant', params: {}, run: () => 1 }, context).catch(() => {});

    const rule = { [Attr.Rule]: 'exports-need-one' };
    expect(await otel.histogram(Metric.DecisionDuration)).toEqual([
      { attributes: { [Attr.Outcome]: 'approved', ...rule }, count: 1, sum: 2 },
      { attributes: { [Attr.Outcome]: 'expired', ...rule }, count: 1, sum: 900 },
    ]);
    expect(await otel.points(Metric.Decisions)).toEqual([
      { attributes: { [Attr.Outcome]: 'approved', ...rule }, value: 1 },
      { attributes: { [Attr.Outcome]: 'expired', ...rule }, value: 1 },
      { attributes: { [Attr.Outcome]: 'allowed', [Attr.Rule]: 'reads-ok' }, value: 1 },
      { attributes: { [Attr.Outcome]: 'policy_denied', [Attr.Rule]: 'no-iam' }, value: 1 },
    ]);
  });

  test('refusals by reason: self-approval, an ineligible approver, a replayed grant, a vote on a settled request', async () => {
    const { cs, otel } = setup();
    const pending = requested(cs);
    const check = {
      name: 'db.export',
      resource: 'prod/customers',
      params: { table: 'customers' },
      sessionId: 'sess_1',
    };
    const call = cs.guard(
      exportCall(async (grant) => {
        await cs.grants.consume(grant.token, check);
        await cs.grants.consume(grant.token, check).catch(() => {});
      }),
      context,
    );
    const id = await pending;
    await expect(cs.decide(id, { approver: 'user:alice', outcome: 'approve', via: 'test' })).rejects.toThrow(
      /cannot decide/,
    );
    await expect(
      cs.decide(id, { approver: 'user:mallory', outcome: 'approve', via: 'test' }),
    ).rejects.toThrow(/not an eligible approver/);
    await cs.decide(id, { approver: 'user:bob', outcome: 'approve', via: 'test' });
    await call;
    await cs.decide(id, { approver: 'user:carol', outcome: 'approve', via: 'test' }).catch(() => {});
    expect(await otel.points(Metric.Refusals)).toEqual([
      { attributes: { [Attr.RefusalReason]: 'self_approval' }, value: 1 },
      { attributes: { [Attr.RefusalReason]: 'not_eligible' }, value: 1 },
      { attributes: { [Attr.RefusalReason]: 'grant_consumed' }, value: 1 },
      { attributes: { [Attr.RefusalReason]: 'already_decided' }, value: 1 },
    ]);
  });
});

describe('grant consumptions', () => {
  const read = (run: (grant: Grant) => unknown) => ({
    name: 'db.read',
    resource: 'prod/db',
    params: {},
    run,
  });
  const readCheck = { name: 'db.read', resource: 'prod/db', params: {}, sessionId: 'sess_1' };

  test('a grant never consumed, or consumed by another process, is not counted from its outcome', async () => {
    const { cs, store, clock, otel } = setup();
    await cs.guard(
      read(() => 1),
      context,
    );
    // The resource checks grants with its own instance on the same store: another process to core,
    // which counts the consumption there, from its own `consumed` entry.
    const resourceOtel = sdk();
    const resource = instrument(createCountersign({ store, clock, policy: [], logger: { warn() {} } }), {
      tracerProvider: resourceOtel.tracerProvider,
      meterProvider: resourceOtel.meterProvider,
    });
    // Not closed: closing it would close the store `cs` still uses.
    await cs.guard(
      read((grant) => resource.grants.consume(grant.token, readCheck)),
      context,
    );
    const [never, elsewhere] = otel.spans();
    for (const span of [never!, elsewhere!]) {
      expect(span.events.map((e) => e.name)).toEqual(['allowed', 'executed']);
      expect(span.events[1]!.attributes?.[Attr.ConsumedAt]).toBeUndefined();
    }
    expect(await otel.points(Metric.Consumptions)).toEqual([]);
    expect(await resourceOtel.points(Metric.Consumptions)).toEqual([
      { attributes: { [Attr.Rule]: 'reads-ok' }, value: 1 },
    ]);
  });

  test('a consumption through this process is counted once, from the entry that ends the grant', async () => {
    const { cs, clock, otel } = setup();
    await cs.guard(
      read(async (grant) => {
        await clock.advance(500);
        await cs.grants.consume(grant.token, readCheck);
        await cs.grants.consume(grant.token, readCheck).catch(() => {});
      }),
      context,
    );
    const [span] = otel.spans();
    expect(span!.events.map((e) => e.name)).toEqual(['allowed', 'consume_refused', 'executed']);
    const [allowed, , executed] = span!.events;
    const entries = await cs.audit.entries(0, 10);
    expect(executed!.attributes?.[Attr.ConsumedAt]).toBe(entries.at(-1)!.consumedAt);
    expect(entries.at(-1)!.consumedAt).toBe(entries[0]!.at + 500);
    expect(allowed!.attributes?.[Attr.ConsumedAt]).toBeUndefined();
    expect(await otel.points(Metric.Consumptions)).toEqual([
      { attributes: { [Attr.Rule]: 'reads-ok' }, value: 1 },
    ]);
  });

  test('a store that writes the revocation apart: revoked then executed both carry it, counted once', async () => {
    const { cs, otel } = setup({ combinedRevoke: false });
    const pending = requested(cs);
    const check = {
      name: 'db.export',
      resource: 'prod/customers',
      params: { table: 'customers' },
      sessionId: 'sess_1',
    };
    const call = cs.guard(
      exportCall((grant) => cs.grants.consume(grant.token, check)),
      context,
    );
    await cs.decide(await pending, { approver: 'user:bob', outcome: 'approve', via: 'test' });
    await call;
    const [span] = otel.spans();
    expect(span!.events.map((e) => e.name)).toEqual([
      'requested',
      'delivered',
      'approved',
      'granted',
      'revoked',
      'executed',
    ]);
    const [revoked, executed] = span!.events.slice(4);
    expect(revoked!.attributes?.[Attr.ConsumedAt]).toEqual(expect.any(Number));
    expect(executed!.attributes?.[Attr.ConsumedAt]).toBe(revoked!.attributes?.[Attr.ConsumedAt]);
    expect(await otel.points(Metric.Consumptions)).toEqual([
      { attributes: { [Attr.Rule]: 'exports-need-one' }, value: 1 },
    ]);
  });

  test("a sweeper's revocation counts the consumption it records; the same grant's late outcome does not again", async () => {
    const otel = sdk();
    const instruments = new Instruments(otel.meterProvider.getMeter('test'));
    const grant: GrantRecord = {
      id: 'grt_a',
      tokenHash: 'a'.repeat(64),
      fingerprint: 'f'.repeat(64),
      sessionId: 'sess_1',
      requestId: null,
      actor: 'agent:report-bot',
      ruleId: 'reads-ok',
      issuedAt: 0,
      expiresAt: 60_000,
      consumedAt: 1_000,
      revokedAt: null,
    };
    // Never consumed, swept: nothing to count.
    const unused = lapseGrant({ ...grant, id: 'grt_b', consumedAt: null }, 120_000)!;
    instruments.record({ type: 'revoked', entry: unused, request: null });
    expect(await otel.points(Metric.Consumptions)).toEqual([]);
    const swept = lapseGrant(grant, 120_000)!;
    expect(swept.consumedAt).toBe(1_000);
    instruments.record({ type: 'revoked', entry: swept, request: null });
    instruments.record({
      type: 'executed',
      entry: { ...swept, type: 'executed', detail: null },
      request: null,
    });
    expect(await otel.points(Metric.Consumptions)).toEqual([
      { attributes: { [Attr.Rule]: 'reads-ok' }, value: 1 },
    ]);
  });
});
