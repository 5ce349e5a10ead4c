import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { type AuditDraft, canonicalJson, sealAuditEntries } from '../src/index.js';
import { deepFreeze } from '../src/lib/canonical-json.js';
import { readJsonParams } from '../src/lib/params-walk.js';
import { auditEntrySchema, isPlainAuditEntry } from '../src/model/audit.js';
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

  test('the params walk writes the canonical JSON of the copy it makes, keys sorted at every depth', () => {
    const values: Record<string, unknown>[] = [
      {},
      { b: [1, { c: 'x', a: -0 }], a: null, '\u20ac': 'é', ﬁ: 1, '😀': 2 },
      { n: [1e21, 1e-7, 5e-324, 0.1, -1.5, 9007199254740991], t: true, f: false },
      { q: 'a"b\\c\n\u0001\u2028', z: [[[]], {}], y: { b: { d: 1, c: 2 }, a: [null] } },
    ];
    for (const value of values) {
      const read = readJsonParams(value, 'p');
      expect(read.json).toBe(canonicalJson(value));
      expect(read.params).toEqual(value);
      expect(read.params).not.toBe(value);
    }
  });

  test('the params walk flags what may hold a secret, and nothing else', () => {
    expect(
      readJsonParams({ table: 'customers', limit: 10, note: 'a plain sentence here' }, 'p').flagged,
    ).toBe(false);
    expect(readJsonParams({ note: 'use xoxb-1234567890-abcdef please' }, 'p').flagged).toBe(true);
    expect(readJsonParams({ nested: [{ header: 'Bearer abcdefgh12345678' }] }, 'p').flagged).toBe(true);
    expect(readJsonParams({ password: 'x' }, 'p').flagged).toBe(true);
    expect(readJsonParams({ api_key: 1 }, 'p').flagged).toBe(true);
    expect(readJsonParams({ 'pa-ss-wo-rd': 1 }, 'p').flagged).toBe(true);
    expect(readJsonParams({ row_count: 1 }, 'p').flagged).toBe(false);
  });

  test('deepFreeze freezes every level', () => {
    const value = deepFreeze({ b: [1, { c: 'x' }], a: null });
    expect(Object.isFrozen(value.b[1])).toBe(true);
  });

  const action = sampleDraft('allowed').action!;
  const oddActions: unknown[] = [
    { resource: 'r', redactedPaths: ['b', 'a'], paramsHash: 'h', params: { b: 1, a: 2 }, name: 'n' },
    { ...action, extra: 'not a member' },
    { ...action, name: 7 },
    { ...action, resource: 1 },
    { ...action, paramsHash: null },
    { ...action, redactedPaths: [1, 'x'] },
    Object.assign(Object.create(null), action),
    deepFreeze({ ...action, params: { z: [1, 2], a: 'é' } }),
  ];

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
      ...oddActions.map((action) => ({ ...sampleDraft('allowed'), action }) as AuditDraft),
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

describe('the audit entry shape check used by verify', () => {
  const [valid] = sealAuditEntries(null, [
    {
      ...sampleDraft('decided', 'detail'),
      action: {
        name: 'db.export',
        resource: 'prod/customers',
        params: { table: 'customers', nested: { list: [1, 'two', null, true, { x: -0.5 }] } },
        paramsHash: 'h',
        redactedPaths: ['auth.token'],
      },
      outcome: 'approve',
    },
  ]);
  const entry = valid as unknown as Record<string, unknown>;
  const action = entry.action as Record<string, unknown>;
  const withAction = (changes: Record<string, unknown>) => ({ ...entry, action: { ...action, ...changes } });
  const withParams = (params: unknown) => withAction({ params });
  const hole: unknown[] = [1];
  hole[2] = 3;
  class Params {
    table = 'x';
  }
  const cases: [string, unknown][] = [
    ['the valid entry', entry],
    ['no action', { ...entry, action: null }],
    ['a null-prototype entry', Object.assign(Object.create(null), entry)],
    ['null-prototype params', withParams(Object.assign(Object.create(null), { a: 1 }))],
    ['an extra member', { ...entry, extra: 1 }],
    ['a missing member', { ...entry, via: undefined }],
    ['an unknown type', { ...entry, type: 'launched' }],
    ['a string seq', { ...entry, seq: '1' }],
    ['seq zero', { ...entry, seq: 0 }],
    ['a fractional seq', { ...entry, seq: 1.5 }],
    ['an unsafe seq', { ...entry, seq: 2 ** 53 }],
    ['a NaN time', { ...entry, at: Number.NaN }],
    ['an infinite time', { ...entry, at: Number.POSITIVE_INFINITY }],
    ['a numeric actor', { ...entry, actor: 7 }],
    ['a maybe outcome', { ...entry, outcome: 'maybe' }],
    ['a missing hash', { ...entry, hash: null }],
    ['a null prevHash', { ...entry, prevHash: null }],
    ['a symbol member', { ...entry, [Symbol('s')]: 1 }],
    ['an array as entry', [entry]],
    ['a class-instance entry', Object.assign(new Params(), entry)],
    ['an action with an extra member', withAction({ extra: 1 })],
    ['an action without paramsHash', withAction({ paramsHash: undefined })],
    ['a numeric resource', withAction({ resource: 1 })],
    ['redactedPaths with a number', withAction({ redactedPaths: [1] })],
    ['redactedPaths with a hole', withAction({ redactedPaths: hole.map(String).concat([]) })],
    ['params as an array', withParams([1])],
    ['params with a Date', withParams({ when: new Date() })],
    ['params with a class instance', withParams({ p: new Params() })],
    ['params with NaN', withParams({ n: Number.NaN })],
    ['params with undefined', withParams({ u: undefined })],
    ['params with a function', withParams({ f: () => 1 })],
    ['params with a bigint', withParams({ b: 1n })],
    ['params with a sparse array', withParams({ list: hole })],
    ['params with a symbol key', withParams({ [Symbol('s')]: 1 })],
    ['params that are null', withParams(null)],
  ];

  test.each(cases)('%s: accepted only when the schema accepts it unchanged', (_what, raw) => {
    const parsed = auditEntrySchema.safeParse(raw);
    if (isPlainAuditEntry(raw)) {
      expect(parsed.success).toBe(true);
      expect(parsed.data).toEqual(raw);
    }
  });

  test('well-formed entries take the fast path', () => {
    expect(isPlainAuditEntry(entry)).toBe(true);
    expect(isPlainAuditEntry({ ...entry, action: null })).toBe(true);
    expect(isPlainAuditEntry(JSON.parse(JSON.stringify(entry)))).toBe(true);
  });
});
