import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { freezeCanonical } from '../src/canonical-json.js';
import { type AuditDraft, canonicalJson, sealAuditEntries } from '../src/index.js';
import { sampleDraft } from '../src/testing/index.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('canonical JSON fast paths give the same answers as the checked path', () => {
  test('deep but acyclic values serialise; cycles at any depth are named', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1_000; i++) deep = { d: [deep] };
    expect(canonicalJson(deep)).toBe(`${'{"d":['.repeat(1_000)}1${']}'.repeat(1_000)}`);
    const cycle: Record<string, unknown> = {};
    let node = cycle;
    for (let i = 0; i < 300; i++) node = node.next = {} as Record<string, unknown>;
    node.next = cycle;
    expect(() => canonicalJson({ root: cycle })).toThrow(/root(\.next)+ is circular/);
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared, shared] })).toBe('{"a":{"x":1},"b":[{"x":1},{"x":1}]}');
  });

  test('problems deep inside still name their path', () => {
    expect(() => canonicalJson({ a: [{ b: [1, () => 1] }] })).toThrow(/a\[0\]\.b\[1\] is a function/);
    expect(() => canonicalJson({ a: [1, undefined] })).toThrow(/a\[1\] is a undefined/);
  });

  test('freezeCanonical freezes deeply and its cached JSON matches', () => {
    const value = { b: [1, { c: 'x' }], a: null };
    const expected = canonicalJson(value);
    freezeCanonical(value);
    expect(Object.isFrozen(value.b[1])).toBe(true);
    expect(canonicalJson(value)).toBe(expected);
    expect(() => freezeCanonical({ a: Number.NaN })).toThrow(/finite/);
  });

  test('audit entries hash as the SHA-256 of their canonical JSON, whatever their shape', () => {
    const drafts: AuditDraft[] = [
      sampleDraft('requested', 'd'),
      {
        ...sampleDraft('decided'),
        action: {
          name: 'n',
          resource: null,
          params: { z: 1, a: ['\u20ac'] },
          paramsHash: 'h',
          redactedPaths: [],
        },
        approver: 'user:bob',
        outcome: 'approve',
        comment: '\ud83d\ude00 "quoted"',
        via: 'slack',
      },
      { ...sampleDraft('granted'), at: 1.5 },
      { ...sampleDraft('granted'), extra: 'not a member' } as AuditDraft,
    ];
    for (const entry of sealAuditEntries(null, drafts)) {
      const { hash, ...body } = entry;
      expect(hash).toBe(sha256(canonicalJson(body)));
    }
    expect(() => sealAuditEntries(null, [{ ...sampleDraft(), actor: undefined } as never])).toThrow(
      /actor is undefined/,
    );
  });
});
