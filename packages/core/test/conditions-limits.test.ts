import { describe, expect, test } from 'vitest';
import { ErrorCode, isCountersignError } from '../src/index.js';
import type { PolicyRule } from '../src/model/rule.js';
import { Condition, type ConditionCall, celParams } from '../src/policy/conditions.js';
import { Policy } from '../src/policy/policy.js';
import { attempt, setup } from './helpers.js';

const SUBJECT = { resource: null, actor: 'agent:a' };
const callOf = (params: Record<string, unknown>): ConditionCall => ({
  params: params as ConditionCall['params'],
  onBehalfOf: null,
  risk: 'medium',
  sessionId: 's',
  now: 0,
});

/** Evaluates `expression` on `params`: its result, or the failure's message. */
function evaluate(expression: string, params: Record<string, unknown>, maxCost?: number) {
  const condition = Condition.compile('test', expression, maxCost);
  try {
    return { result: condition.holds(SUBJECT, callOf(params), celParams(callOf(params).params)), condition };
  } catch (error) {
    return { error: (error as Error).message, condition };
  }
}

const refusal = (when: string): unknown => {
  try {
    setup({ policy: [{ id: 'r', match: { action: 'db.export' }, when, effect: 'allow' }] });
  } catch (error) {
    return error;
  }
  return null;
};

describe('matches() is RE2: linear time, RE2 syntax', () => {
  test('RE2 semantics and the catastrophic-backtracking pattern on hostile values', () => {
    // RE2's inline flags; JavaScript's RegExp refuses `(?i)`: this fails on the backtracking engine at once.
    expect(evaluate("params.s.matches('(?i)^abc$')", { s: 'ABC' }).result).toBe(true);
    // CEL's matches() finds the pattern anywhere unless anchored.
    expect(evaluate("params.s.matches('ell')", { s: 'hello' }).result).toBe(true);
    const release = "params.branch.matches('^release/([a-z0-9]+-?)+$')";
    // The 36-character value, then one of 10,000 characters: each a few RE2 steps per character.
    expect(evaluate(release, { branch: `release/${'a'.repeat(27)}!` }).result).toBe(false);
    expect(evaluate(release, { branch: `release/${'a'.repeat(10_000)}!` }).result).toBe(false);
    expect(evaluate(release, { branch: `release/${'a1-'.repeat(3_000)}b` }).result).toBe(true);
    // The same pattern read from the call runs on RE2 as well.
    const fromData = evaluate('params.branch.matches(params.pattern)', {
      branch: `release/${'a'.repeat(10_000)}!`,
      pattern: '^release/([a-z0-9]+-?)+$',
    });
    expect(fromData.result).toBe(false);
  });

  test.each([
    ['a backreference', "params.s.matches('(a)\\\\1')"],
    ['a lookahead', "params.s.matches('^(?=admin)')"],
    ['a lookbehind', "params.s.matches('(?<=x)y')"],
    ['an unclosed class', "params.s.matches('[a-z')"],
  ])('a literal pattern with %s is a ConfigError naming the rule', (_, when) => {
    const error = refusal(when);
    expect(isCountersignError(error, ErrorCode.InvalidConfig)).toBe(true);
    expect((error as Error).message).toContain('policy rule "r" when');
    expect((error as Error).message).toContain('is not valid RE2');
  });

  test('a pattern from the call that is not RE2 fails closed, without quoting it', () => {
    const { error } = evaluate('params.s.matches(params.p)', { s: 'aa', p: '(a)\\1-s3cr3t-pattern' });
    expect(error).toBe('the pattern read from the call is not valid RE2');
  });

  test('a pattern from the call that would compile to a large program is refused before compiling', () => {
    const expression = 'params.s.matches(params.p)';
    // `{1000}` expands 1,000 times: 23 of them compile to 23,000 instructions.
    expect(evaluate(expression, { s: 'a', p: '[a-z]{1000}'.repeat(23) }).error).toBe(
      'the pattern read from the call has a counted repetition ({n})',
    );
    expect(evaluate(expression, { s: 'a', p: 'a'.repeat(257) }).error).toBe(
      'the pattern read from the call is longer than 256 characters',
    );
    expect(evaluate(expression, { s: 'xa', p: 'a'.repeat(256) }).result).toBe(false);
  });

  test('a literal program too large for its text is refused by the budget before it runs', () => {
    // 2,000 Unicode-class instructions over 10,000 characters: about 10 million steps.
    const { error, condition } = evaluate("params.s.matches('\\\\pL{1000}\\\\pN{1000}')", {
      s: 'x'.repeat(10_000),
    });
    expect(error).toContain('cost limit exceeded');
    expect(condition.lastCost).toBeGreaterThan(1_000_000);
  });

  test("a match's cost is its text's length times its pattern's size", () => {
    const short = evaluate("params.s.matches('^a+$')", { s: 'a'.repeat(100) }).condition.lastCost;
    const long = evaluate("params.s.matches('^a+$')", { s: 'a'.repeat(100_000) }).condition.lastCost;
    expect(long).toBeGreaterThan(short * 500);
    const refused = evaluate("params.s.matches('^a+$')", { s: 'a'.repeat(100_000) }, 10_000);
    expect(refused.error).toContain('cost limit exceeded');
  });
});

const ITEMS = Array.from({ length: 16_000 }, () => 0);
const OTHER = Array.from({ length: 16_000 }, () => 1);
// `cel.bind` hides the scan from the estimate at load: only the budget can stop this one.
const HIDDEN_QUADRATIC = 'cel.bind(other, params.other, params.items.exists(x, x in other))';

describe('each evaluation has a cost budget', () => {
  test("the issue's quadratic condition is refused at load", () => {
    const error = refusal('params.items.exists(x, x in params.other)');
    expect(isCountersignError(error, ErrorCode.InvalidConfig)).toBe(true);
    expect((error as Error).message).toContain('square of the params');
    // Scans of the element itself, of literals, or outside any comprehension stay linear and load.
    for (const when of [
      "params.items.exists(x, 'admin' in x.roles)",
      "params.items.all(x, x in ['a', 'b'])",
      "['drop', 'truncate'].exists(w, params.sql.contains(w))",
      "'x' in params.list && params.text.contains('y')",
    ]) {
      expect(refusal(when)).toBeNull();
    }
  });

  test('16,000 × 16,000 through guard() stops at the budget and fails closed, the action not run', async () => {
    const policy: PolicyRule[] = [
      { id: 'overlap', match: { action: 'db.export' }, when: HIDDEN_QUADRATIC, effect: 'allow' },
      { id: 'rest', match: { action: 'db.export' }, effect: 'allow' },
    ];
    const { cs } = setup({ policy });
    const call = attempt(cs, {
      name: 'db.export',
      resource: 'prod/t',
      params: { items: ITEMS, other: OTHER },
    });
    expect(await call.outcome).toMatchObject({ code: ErrorCode.PolicyDenied, ruleId: 'overlap' });
    expect(call.ran()).toBe(false);
    const denied = (await cs.audit.entries()).find((entry) => entry.type === 'policy_denied');
    expect(denied?.detail).toContain('cost limit exceeded: evaluation passed 1000000 units');
    await cs.close();
  });

  test('the abort is bounded: at most one traversal past the budget, even when an operator would absorb the error', () => {
    for (const expression of [
      HIDDEN_QUADRATIC,
      `${HIDDEN_QUADRATIC} || true`,
      `true && ${HIDDEN_QUADRATIC}`,
    ]) {
      const { error, condition } = evaluate(expression, { items: ITEMS, other: OTHER });
      expect(error).toContain('cost limit exceeded');
      // 16,000² ≈ 256 million without the budget; each element's scan is charged before it runs.
      expect(condition.lastCost).toBeLessThanOrEqual(1_000_000 + 16_000 + 16);
    }
  });

  test('maxConditionCost sets the budget; on a require_approval rule the call still asks', async () => {
    const policy: PolicyRule[] = [
      {
        id: 'overlap',
        match: { action: 'db.export' },
        when: HIDDEN_QUADRATIC,
        effect: 'require_approval',
        approvers: { users: ['user:bob'] },
      },
    ];
    const { cs } = setup({ policy, maxConditionCost: 5_000 });
    const decision = cs.explain({
      action: 'db.export',
      actor: 'agent:a',
      params: { items: ITEMS.slice(0, 100), other: OTHER.slice(0, 100) },
    });
    expect(decision).toMatchObject({ effect: 'require_approval', ruleId: 'overlap' });
    expect(decision.conditionError).toContain('passed 5000 units');
    const small = cs.explain({ action: 'db.export', actor: 'agent:a', params: { items: [1], other: [1] } });
    expect(small.conditionError).toBeUndefined();
    await cs.close();
    expect(() => setup({ policy, maxConditionCost: 10 })).toThrow('maxConditionCost');
  });

  test('a linear condition over a large list fits the default budget', () => {
    const { result, condition } = evaluate('params.items.all(x, x == 0)', { items: ITEMS });
    expect(result).toBe(true);
    expect(condition.lastCost).toBeLessThan(1_000_000);
  });
});

describe('a failed condition records no value of the call', () => {
  const SECRET = 'hunter2-correct-horse-battery';

  test.each([
    [
      'a key read from the call',
      'params[params.k] == 1',
      { k: SECRET },
      'no such key (the key is a value of the call)',
    ],
    [
      'a duration from the call',
      "duration(params.d) > duration('1s')",
      { d: SECRET },
      'invalid duration string',
    ],
    ['an int conversion', 'int(params.n) > 1', { n: SECRET }, 'cannot convert the value to int'],
    ['an index', 'params.list[params.i] == 1', { list: [1], i: 99 }, 'index out of range'],
    ['a written key', 'params.missing == 1', { k: SECRET }, 'no such key: missing'],
  ])('%s', (_, when, params, message) => {
    const policy = new Policy([{ id: 'r', match: {}, when, effect: 'allow' }], 'allow');
    const decision = policy.decide({ action: 'a', resource: null, actor: 'agent:a', call: callOf(params) });
    expect(decision.conditionError).not.toContain(SECRET);
    expect(decision).toMatchObject({ effect: 'deny', ruleId: 'r', conditionError: message });
  });

  test('`No such key: <secret>` of a redacted param reaches neither the audit log nor the error', async () => {
    const { cs, store } = setup({
      policy: [
        {
          id: 'lookup',
          match: { action: 'db.export' },
          when: 'params.limits[params.key] > 0',
          effect: 'allow',
        },
      ],
      redact: ['key'],
    });
    const call = attempt(cs, {
      name: 'db.export',
      resource: 'prod/t',
      params: { limits: { rows: 1 }, key: SECRET },
    });
    const outcome = await call.outcome;
    expect(outcome).toMatchObject({ code: ErrorCode.PolicyDenied, ruleId: 'lookup' });
    expect(call.ran()).toBe(false);
    const audit = JSON.stringify(await store.readAudit(0, 1_000));
    expect(audit).not.toContain(SECRET);
    expect(audit).toContain('no such key (the key is a value of the call)');
    expect(String((outcome as Error).message)).not.toContain(SECRET);
    await cs.close();
  });
});
