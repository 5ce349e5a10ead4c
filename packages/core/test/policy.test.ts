import { describe, expect, test } from 'vitest';
import { compileGlob } from '../src/lib/glob.js';
import type { PolicyRule } from '../src/model/rule.js';
import { Policy } from '../src/policy/policy.js';

describe('glob', () => {
  test.each([
    ['db.read*', 'db.read', true],
    ['db.read*', 'db.readReplica', true],
    ['db.read*', 'db.rea', false],
    ['prod/*', 'prod/customers', true],
    ['prod/*', 'staging/prod/x', false],
    ['*.export', 'db.export', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'acb', false],
    ['a*a', 'a', false],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
    ['*', '', true],
  ])('%s matches %s: %s', (pattern, value, expected) => {
    expect(compileGlob(pattern)(value)).toBe(expected);
  });
});

/** The obvious implementation: try every rule in order. The index must agree with it. */
function linear(rules: PolicyRule[], subject: { action: string; resource: string | null; actor: string }) {
  const any = (patterns: string | readonly string[] | undefined, value: string | null) => {
    if (patterns === undefined) return true;
    if (value === null) return false;
    return (typeof patterns === 'string' ? [patterns] : patterns).some((p) => compileGlob(p)(value));
  };
  const rule = rules.find(
    (r) =>
      any(r.match.action, subject.action) &&
      any(r.match.resource, subject.resource) &&
      any(r.match.actor, subject.actor),
  );
  return rule?.id ?? 'default';
}

describe('policy', () => {
  test('the first matching rule decides; the default applies otherwise', () => {
    const policy = new Policy(
      [
        { id: 'a', match: { action: 'db.*', resource: 'prod/*' }, effect: 'deny' },
        { id: 'b', match: { action: 'db.read' }, effect: 'allow' },
        { id: 'c', match: { actor: 'agent:trusted-*' }, effect: 'allow' },
      ],
      'deny',
    );
    expect(policy.decide({ action: 'db.read', resource: 'prod/x', actor: 'agent:a' }).ruleId).toBe('a');
    expect(policy.decide({ action: 'db.read', resource: 'dev/x', actor: 'agent:a' }).ruleId).toBe('b');
    expect(policy.decide({ action: 'db.read', resource: null, actor: 'agent:a' }).ruleId).toBe('b');
    expect(policy.decide({ action: 'x.y', resource: null, actor: 'agent:trusted-1' }).ruleId).toBe('c');
    expect(policy.decide({ action: 'x.y', resource: null, actor: 'agent:other' })).toEqual({
      effect: 'deny',
      ruleId: 'default',
      rule: null,
    });
  });

  test('the index agrees with a linear scan on 1,000 random rules and 5,000 random calls', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const words = ['db', 'iam', 'infra', 's3', 'read', 'write', 'export', 'prod', 'dev', 'a', 'ab'];
    const name = () => `${words[random(words.length)]}.${words[random(words.length)]}`;
    const pattern = () => {
      const base = name();
      switch (random(5)) {
        case 0:
          return `${base.slice(0, random(base.length) + 1)}*`;
        case 1:
          return `*${base.slice(random(base.length))}`;
        case 2:
          return `${base.slice(0, 2)}*${base.slice(-1)}`;
        default:
          return base;
      }
    };
    const rules: PolicyRule[] = Array.from({ length: 1000 }, (_, i) => ({
      id: `r${i}`,
      match: {
        ...(random(10) > 0 ? { action: random(4) === 0 ? [pattern(), pattern()] : pattern() } : {}),
        ...(random(3) === 0 ? { resource: `${words[random(words.length)]}/*` } : {}),
        ...(random(8) === 0 ? { actor: 'agent:a*' } : {}),
      },
      effect: 'allow',
    }));
    const policy = new Policy(rules, 'deny');
    for (let i = 0; i < 5000; i++) {
      const subject = {
        action: name(),
        resource: random(2) ? `${words[random(words.length)]}/x` : null,
        actor: random(2) ? 'agent:ab' : 'agent:b',
      };
      expect(policy.decide(subject).ruleId).toBe(linear(rules, subject));
    }
  });
});
