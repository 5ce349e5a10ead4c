import { describe, expect, test } from 'vitest';
import { ErrorCode, isCountersignError } from '../src/index.js';
import type { PolicyRule } from '../src/model/rule.js';
import { Policy } from '../src/policy/policy.js';
import { attempt, CONTEXT, setup } from './helpers.js';

const EXPORTS: PolicyRule[] = [
  {
    id: 'big-exports',
    match: { action: 'db.export' },
    when: "params.rows > 10000 || params.destination.startsWith('s3://external-')",
    effect: 'require_approval',
    approvers: { users: ['user:bob'] },
  },
  { id: 'small-exports', match: { action: 'db.export' }, effect: 'allow' },
];

const exportOf = (params: Record<string, unknown>) => ({ name: 'db.export', resource: 'prod/t', params });

describe('conditions are checked when the instance is created', () => {
  test.each([
    ['parms.rows > 1', 'Unknown variable: parms'],
    ['params.rows >', 'Unexpected token'],
    ["params.rows + 'a'", 'must yield a bool'],
    ['params.a.exists(x, params.b.all(y, y > x))', 'must not be nested'],
    ['1 + 1', 'must yield a bool, not int'],
  ])('%s is a ConfigError naming the rule and the expression', (when, problem) => {
    const create = () => setup({ policy: [{ id: 'typo', match: { action: 'x' }, when, effect: 'deny' }] });
    expect(create).toThrow(problem);
    expect(create).toThrow(`policy rule "typo" when: invalid condition ${JSON.stringify(when)}`);
    try {
      create();
    } catch (error) {
      expect(isCountersignError(error, ErrorCode.InvalidConfig)).toBe(true);
    }
  });

  test('an empty or overlong condition is refused', () => {
    expect(() => setup({ policy: [{ id: 'e', match: {}, when: '', effect: 'deny' }] })).toThrow('when');
    const long = `params.a == '${'x'.repeat(2_000)}'`;
    expect(() => setup({ policy: [{ id: 'l', match: {}, when: long, effect: 'deny' }] })).toThrow('when');
  });
});

describe('conditions decide which rule matches', () => {
  test('a condition that holds asks; one that does not falls through to the next rule', async () => {
    const { cs, transport } = setup({ policy: EXPORTS });
    const small = attempt(cs, exportOf({ rows: 100, destination: 's3://internal/x' }));
    expect(await small.outcome).toBe('ran');
    const big = attempt(cs, exportOf({ rows: 20_000, destination: 's3://internal/x' }));
    const request = await transport.nextDelivery();
    expect(request.ruleId).toBe('big-exports');
    const requested = (await cs.audit.entries()).find((entry) => entry.type === 'requested');
    expect(requested?.detail).toContain('condition held: "params.rows > 10000 ||');
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'deny' });
    expect(big.ran()).toBe(false);
    const external = attempt(cs, exportOf({ rows: 1, destination: 's3://external-bucket/x' }));
    expect((await transport.nextDelivery()).ruleId).toBe('big-exports');
    await cs.close();
    await external.outcome;
  });

  test('explain() says which condition matched, and the requested entry records it', async () => {
    const { cs } = setup({ policy: EXPORTS });
    const big = cs.explain({ action: 'db.export', actor: 'agent:a', params: { rows: 20_000 } });
    expect(big).toMatchObject({ effect: 'require_approval', ruleId: 'big-exports', when: EXPORTS[0]!.when });
    expect(big.conditionError).toBeUndefined();
    const small = cs.explain({
      action: 'db.export',
      actor: 'agent:a',
      params: { rows: 5, destination: 'x' },
    });
    expect(small).toMatchObject({ effect: 'allow', ruleId: 'small-exports' });
    expect(small.when).toBeUndefined();
    await cs.close();
  });

  test('every variable is there: resource, actor, onBehalfOf, risk, sessionId and now', async () => {
    const { cs, clock } = setup({
      policy: [
        {
          id: 'all',
          match: {},
          when:
            "resource == 'prod/t' && actor == 'agent:a' && onBehalfOf == 'user:p' && risk == 'high' && " +
            "sessionId == 's1' && now >= timestamp('2026-01-01T00:00:00Z') && now < timestamp('2026-01-02T00:00:00Z')",
          effect: 'allow',
        },
      ],
    });
    const subject = {
      action: 'x',
      resource: 'prod/t',
      actor: 'agent:a',
      onBehalfOf: 'user:p',
      risk: 'high' as const,
      sessionId: 's1',
    };
    expect(cs.explain(subject).ruleId).toBe('all');
    expect(cs.explain({ ...subject, onBehalfOf: null }).ruleId).toBe('default');
    expect(cs.explain({ ...subject, risk: 'low' }).ruleId).toBe('default');
    await clock.advance(86_400_000);
    expect(cs.explain(subject).ruleId).toBe('default');
    await cs.close();
  });

  test('JSON numbers: safe integers are ints, others doubles, both compare', () => {
    const policy = new Policy(
      [
        { id: 'int', match: {}, when: 'params.n == 3', effect: 'allow' },
        { id: 'double', match: {}, when: 'params.n > 3.25', effect: 'allow' },
      ],
      'deny',
    );
    const call = (n: number) => ({ params: { n }, onBehalfOf: null, risk: 'medium', sessionId: 's', now: 0 });
    expect(policy.decide({ action: 'a', resource: null, actor: 'x', call: call(3) }).ruleId).toBe('int');
    expect(policy.decide({ action: 'a', resource: null, actor: 'x', call: call(3.5) }).ruleId).toBe('double');
    expect(policy.decide({ action: 'a', resource: null, actor: 'x', call: call(2 ** 60) }).ruleId).toBe(
      'double',
    );
    expect(policy.decide({ action: 'a', resource: null, actor: 'x', call: call(1) }).ruleId).toBe('default');
  });
});

describe('a condition that fails to evaluate fails closed', () => {
  test('on a require_approval rule, the call still needs approval', async () => {
    const { cs, transport } = setup({ policy: EXPORTS });
    // No `destination`: `params.rows > 10000` is false, so the second operand is read and throws.
    const decision = cs.explain({ action: 'db.export', actor: 'agent:a', params: { rows: 5 } });
    expect(decision).toMatchObject({ effect: 'require_approval', ruleId: 'big-exports' });
    expect(decision.conditionError).toContain('destination');
    const call = attempt(cs, exportOf({ rows: 5 }));
    const request = await transport.nextDelivery();
    expect(request.ruleId).toBe('big-exports');
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'deny' });
    expect(await call.outcome).toMatchObject({ code: ErrorCode.ApprovalDenied });
    expect(call.ran()).toBe(false);
    await cs.close();
  });

  test('on an allow rule, the call is denied and the audit says why', async () => {
    const { cs } = setup({
      policy: [
        { id: 'cheap', match: { action: 'db.export' }, when: 'params.rows < 100', effect: 'allow' },
        { id: 'rest', match: { action: 'db.export' }, effect: 'allow' },
      ],
    });
    const call = attempt(cs, exportOf({ rows: 'many' }));
    expect(await call.outcome).toMatchObject({ code: ErrorCode.PolicyDenied, ruleId: 'cheap' });
    expect(call.ran()).toBe(false);
    const entries = await cs.audit.entries();
    const denied = entries.find((entry) => entry.type === 'policy_denied');
    expect(denied?.ruleId).toBe('cheap');
    expect(denied?.detail).toContain('condition failed, fails closed');
    await cs.close();
  });

  test('on a deny rule, the call is denied', () => {
    const policy = new Policy(
      [
        { id: 'no', match: {}, when: 'params.x.y == 1', effect: 'deny' },
        { id: 'yes', match: {}, effect: 'allow' },
      ],
      'allow',
    );
    const decision = policy.decide({
      action: 'a',
      resource: null,
      actor: 'x',
      call: { params: { x: 1 }, onBehalfOf: null, risk: 'medium', sessionId: 's', now: 0 },
    });
    expect(decision).toMatchObject({ effect: 'deny', ruleId: 'no' });
  });
});

describe('params are data, never code', () => {
  test.each([
    ["s3://internal') || true || ('"],
    ['true'],
    ["' + params.secret + '"],
    ['}} ; params.rows > 0'],
  ])('a destination of %j is compared, not evaluated', async (destination) => {
    const { cs } = setup({
      policy: [
        {
          id: 'internal-only',
          match: { action: 'db.export' },
          when: "params.destination == 's3://internal'",
          effect: 'allow',
        },
      ],
    });
    const call = attempt(cs, exportOf({ destination }));
    expect(await call.outcome).toMatchObject({ code: ErrorCode.PolicyDenied, ruleId: 'default' });
    expect(call.ran()).toBe(false);
    await cs.close();
  });

  test('a key named like a variable or a macro is only a key', () => {
    const policy = new Policy(
      [{ id: 'r', match: {}, when: "has(params.actor) && params.actor == 'admin'", effect: 'allow' }],
      'deny',
    );
    const decide = (params: Record<string, unknown>) =>
      policy.decide({
        action: 'a',
        resource: null,
        actor: 'agent:x',
        call: { params: params as never, onBehalfOf: null, risk: 'medium', sessionId: 's', now: 0 },
      }).ruleId;
    expect(decide({ actor: 'admin' })).toBe('r');
    expect(decide({ actor: "admin' || true" })).toBe('default');
    expect(decide({ exists: 'true', all: true })).toBe('default');
  });
});

test('context actor is the guard actor, not a param', async () => {
  const { cs } = setup({
    policy: [{ id: 'bot', match: {}, when: "actor == 'agent:trusted'", effect: 'allow' }],
  });
  const call = attempt(cs, exportOf({ actor: 'agent:trusted' }), { ...CONTEXT, actor: 'agent:other' });
  expect(await call.outcome).toMatchObject({ code: ErrorCode.PolicyDenied });
  await cs.close();
});

describe('the index agrees with trying every rule in order, conditions included', () => {
  test('random policies and calls', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    const actions = ['db.read', 'db.readAll', 'db.export', 'infra.deploy', 'iam.grant'];
    const patterns = ['db.read', 'db.read*', 'db.*', '*.export', 'infra.deploy', 'iam.*', '*'];
    const conditions = [
      'params.n > 5',
      'params.n <= 5',
      "params.tag == 'x'",
      'params.missing > 1',
      undefined,
    ];
    for (let round = 0; round < 30; round++) {
      const rules: PolicyRule[] = Array.from({ length: 12 }, (_, i) => {
        const when = conditions[random(conditions.length)];
        return {
          id: `r${i}`,
          match: { action: patterns[random(patterns.length)]! },
          effect: (['allow', 'deny'] as const)[random(2)]!,
          ...(when === undefined ? {} : { when }),
        };
      });
      const policy = new Policy(rules, 'deny');
      for (let c = 0; c < 20; c++) {
        const action = actions[random(actions.length)]!;
        const params = { n: random(10), tag: ['x', 'y'][random(2)]! };
        const call = { params, onBehalfOf: null, risk: 'medium', sessionId: 's', now: 0 };
        // Linear: the first rule whose pattern matches and whose condition holds or fails to evaluate.
        const expected = rules.find((rule) => {
          const pattern = rule.match.action as string;
          const re = new RegExp(`^${pattern.replaceAll('.', '\\.').replaceAll('*', '.*')}$`);
          if (!re.test(action)) return false;
          if (rule.when === undefined || rule.when === 'params.missing > 1') return true;
          if (rule.when === 'params.n > 5') return params.n > 5;
          if (rule.when === 'params.n <= 5') return params.n <= 5;
          return params.tag === 'x';
        });
        const decision = policy.decide({ action, resource: null, actor: 'agent:a', call });
        expect(decision.ruleId).toBe(expected?.id ?? 'default');
        if (expected?.when === 'params.missing > 1') {
          expect(decision.effect).toBe('deny');
          expect(decision.conditionError).toBeDefined();
        }
      }
    }
  });
});
