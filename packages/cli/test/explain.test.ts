import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CountersignOptions, createCountersign, type ExplainSubject } from '@countersign/core';
import { createRecordingTransport, createTestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { afterAll, describe, expect, test } from 'vitest';
import { runCaptured } from './run-in-process.js';

const POLICY = {
  policy: [
    { id: 'reads-ok', match: { action: 'db.read*' }, effect: 'allow' },
    {
      id: 'big-exports',
      match: { action: 'db.export', resource: 'prod/*' },
      when: 'params.rows > 10000',
      effect: 'require_approval',
      approvers: { groups: ['owners'] },
      quorum: 2,
      reuse: { within: '30m', scope: 'session', same: 'fingerprint' },
    },
    {
      id: 'for-alice',
      match: { action: 'db.export' },
      when: "onBehalfOf == 'user:alice' && sessionId == 'sess_9'",
      effect: 'deny',
    },
    {
      id: 'after-hours',
      match: { action: 'db.export' },
      when: 'now > timestamp("2026-06-01T00:00:00Z")',
      effect: 'deny',
    },
    {
      id: 'routed-exports',
      match: { action: 'db.export' },
      effect: 'require_approval',
      approvers: { groups: ['owners'] },
      riskWhen: { high: 'params.rows > 100', low: 'params.rows <= 10' },
      tiers: { low: { effect: 'allow' }, high: { quorum: 2, require: ['user:carol'] } },
    },
  ],
  directory: { 'user:bob': { groups: ['owners'] }, 'user:carol': { groups: ['owners'] } },
};

const dir = mkdtempSync(join(tmpdir(), 'cs-cli-explain-'));
const policyPath = join(dir, 'policy.json');
writeFileSync(policyPath, JSON.stringify(POLICY));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BEFORE_JUNE = '2026-05-01T12:00:00Z';
const base = ['explain', '--policy', policyPath, '--action', 'db.export', '--resource', 'prod/customers'];
const explain = (...args: string[]) =>
  runCaptured([...base, '--actor', 'agent:a', '--at', BEFORE_JUNE, ...args]);

/** What cs.explain() answers on an instance with a real store, at the same instant. */
async function coreExplains(subject: ExplainSubject, at = Date.parse(BEFORE_JUNE)) {
  const cs = createCountersign({
    ...POLICY,
    store: createMemoryStore(),
    transports: [createRecordingTransport()],
    clock: createTestClock(at),
  } as unknown as CountersignOptions);
  try {
    return JSON.parse(JSON.stringify(cs.explain(subject)));
  } finally {
    await cs.close();
  }
}

describe('countersign explain gives cs.explain() its answer, conditions included', () => {
  test('a policy with a reuse rule explains (its store needs reuse windows)', async () => {
    const result = await explain('--param', 'rows:=20000');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'decision: require_approval',
      'rule: big-exports (rule 2 of 5)',
      '  match: action "db.export", resource "prod/*"',
      '  when: params.rows > 10000 (holds)',
      '  approvers: group owners; quorum 2',
      '  requestTtl 15m, grantTtl 60s',
      '  reuse: for 30m, up to 10 later calls by this actor in this session with the same call',
      '  never eligible: agent:a (the actor) and whoever it acts for',
      'rules before it that did not match:',
      '  1. reads-ok: action "db.export" does not match "db.read*"',
      'The first rule whose action, resource and actor patterns all match, and whose when condition holds, decides.',
      '',
    ]);
  });

  test('a condition on params answers differently for different --params', async () => {
    const big = await explain('--params', '{"rows":20000}');
    const small = await explain('--params', '{"rows":5}');
    expect(big.stdout.split('\n').slice(0, 2)).toEqual([
      'decision: require_approval',
      'rule: big-exports (rule 2 of 5)',
    ]);
    expect(small.stdout.split('\n').slice(0, 3)).toEqual([
      'decision: allow',
      'rule: routed-exports (rule 5 of 5)',
      '  match: action "db.export"',
    ]);
    expect(small.stdout).toContain('  2. big-exports: its when condition is false: params.rows > 10000\n');
    expect(small.stdout).toContain('  3. for-alice: its when condition is false:');
    expect(small.stdout).toContain('  risk: low\n');
  });

  test('a condition that cannot be evaluated decides, failing closed, and says why', async () => {
    const result = await explain('--param', 'rows=20000');
    expect(result.stdout.split('\n').slice(0, 4)).toEqual([
      'decision: require_approval',
      'rule: big-exports (rule 2 of 5)',
      '  match: action "db.export", resource "prod/*"',
      expect.stringMatching(
        /^ {2}when: params\.rows > 10000 could not be evaluated \(.+\); the rule decides, failing closed$/,
      ),
    ]);
  });

  test('--json prints exactly what cs.explain() returns, for every kind of answer', async () => {
    const cases: [string[], Partial<ExplainSubject>, number?][] = [
      [['--param', 'rows:=20000'], { params: { rows: 20000 } }],
      [['--params', '{"rows":5}'], { params: { rows: 5 } }],
      [['--params', '{"rows":500}'], { params: { rows: 500 } }],
      [['--param', 'rows=20000'], { params: { rows: '20000' } }],
      [
        ['--param', 'rows:=1', '--on-behalf-of', 'user:alice', '--session', 'sess_9'],
        { params: { rows: 1 }, onBehalfOf: 'user:alice', sessionId: 'sess_9' },
      ],
      [['--param', 'rows:=1', '--risk', 'critical'], { params: { rows: 1 }, risk: 'critical' }],
      [['--at', '2026-07-01T00:00:00Z', '--param', 'rows:=1'], { params: { rows: 1 } }, Date.UTC(2026, 6, 1)],
      [[], {}],
    ];
    for (const [flags, subject, at] of cases) {
      const instant = flags.includes('--at') ? [] : ['--at', BEFORE_JUNE];
      const args = ['--actor', 'agent:a', ...instant, ...flags, '--json'];
      const result = await runCaptured([...base, ...args]);
      expect({ flags, stderr: result.stderr, code: result.code }).toEqual({ flags, stderr: '', code: 0 });
      const expected = await coreExplains(
        { action: 'db.export', resource: 'prod/customers', actor: 'agent:a', ...subject },
        at,
      );
      expect({ flags, decision: JSON.parse(result.stdout) }).toEqual({ flags, decision: expected });
    }
  });

  test('the risk tier sets the quorum and who must approve', async () => {
    const result = await explain('--param', 'rows:=500', '--on-behalf-of', 'user:dave');
    expect(result.stdout.split('\n').slice(0, 8)).toEqual([
      'decision: require_approval',
      'rule: routed-exports (rule 5 of 5)',
      '  match: action "db.export"',
      '  risk: high',
      '  approvers: group owners; quorum 2',
      '  must each approve: user:carol',
      '  requestTtl 15m, grantTtl 60s',
      '  never eligible: agent:a (the actor) and user:dave, for whom it acts',
    ]);
  });
});

describe('the call is read strictly: exit 2 with the reason', () => {
  test.each([
    [['--params', '{rows:1}'], /^--params is not JSON: /],
    [['--params', '[1]'], /^--params must be a JSON object, not an array$/],
    [['--params', 'null'], /^--params must be a JSON object, not null$/],
    [['--params', '7'], /^--params must be a JSON object, not a number$/],
    [['--params', '{"rows":1,"rows":2}'], /^--params has member "rows" more than once$/],
    [['--params', '{"a":{"b":1,"b":1}}'], /^--params has member "a\.b" more than once$/],
    [['--param', 'rows'], /^--param takes key=text or key:=json, not "rows"$/],
    [['--param', '=1'], /^--param takes key=text or key:=json, not "=1"$/],
    [['--param', ':=1'], /^--param takes key=text or key:=json, not ":=1"$/],
    [['--param', 'rows:=x'], /^--param rows is not JSON: /],
    [['--params', '{"rows":1}', '--param', 'rows:=2'], /^param "rows" is given twice$/],
    [['--param', 'a=1', '--param', 'a=2'], /^param "a" is given twice$/],
    [['--at', '2026-05-01'], /^--at must be an ISO 8601 time with a zone/],
    [['--at', '2026-05-01T12:00:00'], /^--at must be an ISO 8601 time with a zone/],
    [['--risk', 'extreme'], /^invalid explain subject: risk: .*"low"\|"medium"\|"high"\|"critical"$/],
    [['--params', '{"s":"\\ud800"}'], /^invalid explain params: params\.s contains a lone surrogate/],
  ])('%j', async (flags, message) => {
    const result = await runCaptured([...base, '--actor', 'agent:a', ...flags]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const [first, hint] = result.stderr.split('\n');
    expect(first!.replace(/^countersign: /, '')).toMatch(message);
    expect(hint).toBe("Run 'countersign --help' for usage.");
  });
});
