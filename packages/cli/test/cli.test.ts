import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { canonicalJson, IssuedGrantEntries, sealAuditEntries } from '@countersign/core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type LogFiles, writeLogFiles } from './fixtures.js';
import { cli } from './run-cli.js';

// Each case starts Node processes on a shared machine.
vi.setConfig({ testTimeout: 120_000 });

let files: LogFiles;
let lines: string[];
let head: string;

beforeAll(async () => {
  files = await writeLogFiles();
  lines = readFileSync(files.log, 'utf8').trimEnd().split('\n');
  head = (JSON.parse(lines[8]!) as { hash: string }).hash;
});
afterAll(() => rmSync(files.dir, { recursive: true, force: true }));

/** A copy of the log, changed by `edit`, in the fixture directory. */
function variant(name: string, edit: (lines: string[]) => string[]): string {
  const path = `${files.dir}/${name}`;
  writeFileSync(path, `${edit([...lines]).join('\n')}\n`);
  return path;
}

const CHAIN_OK = () => `ok   chain audit.jsonl: 9 entries, seq 1-9, head ${head}\n`;

describe('countersign audit verify', () => {
  test('a tampered line fails: exit 1, the first bad line and why', () => {
    const tampered = variant('tampered.jsonl', (l) => {
      l[2] = l[2]!.replace('"Q3 report"', '"Q4 report"');
      return l;
    });
    const result = cli(['audit', 'verify', 'tampered.jsonl'], files.dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const shown = lines[2]!.replace('"Q3 report"', '"Q4 report"').slice(0, 157);
    expect(result.stdout).toBe(
      `FAIL chain tampered.jsonl: entry 3 was altered after it was written\n  line 3: ${shown}...\n`,
    );
    expect(tampered).toContain('tampered.jsonl');
  });

  test('a deleted line fails with the seq that is missing', () => {
    variant('deleted.jsonl', (l) => l.filter((_, i) => i !== 4));
    const result = cli(['audit', 'verify', 'deleted.jsonl'], files.dir);
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe(
      'FAIL chain deleted.jsonl: expected seq 5, found 6: entries were deleted, reordered or inserted',
    );
  });

  test('a truncated log passes the chain but fails against the checkpoints', () => {
    variant('truncated.jsonl', (l) => l.slice(0, 7));
    const result = cli(
      ['audit', 'verify', 'truncated.jsonl', '--checkpoints', 'checkpoints.jsonl', '--key', 'ops-1.pem'],
      files.dir,
    );
    expect(result.code).toBe(1);
    const [chain, fail, at] = result.stdout.split('\n');
    expect(chain).toMatch(/^ok {3}chain truncated\.jsonl: 7 entries, seq 1-7, head [0-9a-f]{64}$/);
    expect(fail).toBe(
      'FAIL checkpoints checkpoints.jsonl: log ends at seq 7 but checkpoint line 2 signed seq 9: the log was truncated',
    );
    expect(at).toMatch(/^ {2}checkpoints\.jsonl:2: \{"origin":"test\/cli","seq":9,/);
  });

  test('a log rewritten with recomputed hashes fails against the checkpoints', () => {
    variant('rewritten.jsonl', (l) => {
      const drafts = l.map((line) => {
        const { seq: _s, prevHash: _p, hash: _h, ...draft } = JSON.parse(line);
        return draft.type === 'approved' ? { ...draft, approver: 'user:mallory' } : draft;
      });
      return sealAuditEntries(null, drafts, new IssuedGrantEntries()).map((entry) => canonicalJson(entry));
    });
    const result = cli(
      ['audit', 'verify', 'rewritten.jsonl', '--checkpoints', 'checkpoints.jsonl', '--key', 'ops-1.pem'],
      files.dir,
    );
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')[1]).toBe(
      'FAIL checkpoints checkpoints.jsonl: entry 9 differs from checkpoint line 2: the log was rewritten',
    );
  });

  test('an unknown key id and a wrong key under the right id both fail', () => {
    const unknown = cli(
      ['audit', 'verify', 'audit.jsonl', '--checkpoints', 'checkpoints.jsonl', '--key', 'other.pem'],
      files.dir,
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stdout.split('\n')[1]).toBe(
      'FAIL checkpoints checkpoints.jsonl: checkpoint line 1 is signed by unknown key id "ops-1"',
    );
    const forged = cli(
      ['audit', 'verify', 'audit.jsonl', '--checkpoints', 'checkpoints.jsonl', '--key', 'ops-1=other.pem'],
      files.dir,
    );
    expect(forged.code).toBe(1);
    expect(forged.stdout.split('\n')[1]).toBe(
      'FAIL checkpoints checkpoints.jsonl: checkpoint line 1 has a bad signature for key id "ops-1"',
    );
  });

  test('an intact log and its checkpoints pass: exit 0 and what was checked', () => {
    const plain = cli(['audit', 'verify', 'audit.jsonl'], files.dir);
    expect(plain).toEqual({
      code: 0,
      stderr: '',
      stdout: `${CHAIN_OK()}not checked: checkpoints (pass --checkpoints and --key to detect a rewritten or truncated log)\n`,
    });
    const signed = cli(
      [
        'audit',
        'verify',
        'audit.jsonl',
        '--checkpoints=checkpoints.jsonl',
        '--key',
        'ops-1.pem',
        '--origin',
        'test/cli',
      ],
      files.dir,
    );
    expect(signed).toEqual({
      code: 0,
      stderr: '',
      stdout: `${CHAIN_OK()}ok   checkpoints checkpoints.jsonl: 2 checked, signed by ops-1; newest covers seq 9; every entry covered; largest gap 5 entries\n`,
    });
  });

  test('an empty checkpoint file vouches for nothing and fails', () => {
    writeFileSync(`${files.dir}/empty.jsonl`, '');
    const result = cli(
      ['audit', 'verify', 'audit.jsonl', '--checkpoints', 'empty.jsonl', '--key', 'ops-1.pem'],
      files.dir,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      `${CHAIN_OK()}FAIL checkpoints empty.jsonl: no checkpoint in the file, so nothing vouches for the log\n`,
    );
  });

  test('usage and input errors: exit 2 with a suggestion, exit 3 naming the file', () => {
    expect(cli(['audit', 'verify', 'audit.jsonl', '--chekpoints', 'c.jsonl'], files.dir)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "countersign: unknown flag --chekpoints for 'audit verify'; did you mean --checkpoints?\nRun 'countersign --help' for usage.\n",
    });
    expect(
      cli(['audit', 'verify', 'audit.jsonl', '--checkpoints', 'checkpoints.jsonl'], files.dir),
    ).toMatchObject({
      code: 2,
      stderr:
        "countersign: --checkpoints needs at least one --key to check signatures against\nRun 'countersign --help' for usage.\n",
    });
    expect(cli(['audit', 'verify', 'missing.jsonl'], files.dir)).toEqual({
      code: 3,
      stdout: '',
      stderr: 'countersign: cannot read audit log missing.jsonl: no such file\n',
    });
    expect(
      cli(
        ['audit', 'verify', 'audit.jsonl', '--checkpoints', 'checkpoints.jsonl', '--key', 'policy.json'],
        files.dir,
      ),
    ).toMatchObject({
      code: 3,
      stderr: 'countersign: public key "policy.json" is not a readable Ed25519 key (a KeyObject or PEM)\n',
    });
  });
});

describe('countersign audit show', () => {
  test('one request as a timeline: the settling vote with its approver, the grant and its end', () => {
    const result = cli(['audit', 'show', 'audit.jsonl', '--request', files.requestId], files.dir);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const shown = result.stdout.trimEnd().split('\n');
    expect(shown.map((line) => line.split(/\s+/).slice(0, 3))).toEqual([
      ['#6', '2026-01-02T09:30:00.000Z', 'requested'],
      ['#7', '2026-01-02T09:30:00.000Z', 'approved'],
      ['#8', '2026-01-02T09:30:00.000Z', 'granted'],
      ['#9', '2026-01-02T09:30:02.000Z', 'executed'],
    ]);
    expect(shown[1]).toBe(
      `#7     2026-01-02T09:30:00.000Z  approved        db.export on prod/customers for agent:report-bot approved by user:bob ("ok for Q3") (rule exports-need-one) [${files.requestId}]: 1 of 1 approvals`,
    );
    const grantId = (JSON.parse(lines[7]!) as { grantId: string }).grantId;
    expect(shown[3]).toBe(
      `#9     2026-01-02T09:30:02.000Z  executed        db.export on prod/customers ran for agent:report-bot; grant ${grantId} revoked (consumed 2026-01-02T09:30:01.000Z) [${files.requestId}]`,
    );
  });

  test('the whole log; a broken chain is flagged after the timeline with exit 1', () => {
    const whole = cli(['audit', 'show', 'audit.jsonl'], files.dir);
    expect(whole.code).toBe(0);
    expect(whole.stdout.trimEnd().split('\n')).toHaveLength(9);
    expect(whole.stdout.split('\n')[4]).toBe(
      '#5     2026-01-02T09:30:00.000Z  policy_denied   agent:report-bot denied iam.grant on prod by policy (rule no-iam)',
    );
    const broken = cli(['audit', 'show', 'tampered.jsonl'], files.dir);
    expect(broken.code).toBe(1);
    expect(broken.stdout.trimEnd().split('\n').at(-1)).toBe(
      'WARNING: the chain is broken (entry 3): entry 3 was altered after it was written',
    );
  });
});

describe('countersign explain', () => {
  test('names the deciding rule and why earlier rules did not match', () => {
    const result = cli(
      [
        'explain',
        '--policy',
        'policy.json',
        '--action',
        'db.export',
        '--resource',
        'prod/customers',
        '--actor',
        'agent:report-bot',
      ],
      files.dir,
    );
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'decision: require_approval',
        'rule: exports-need-one (rule 3 of 3)',
        '  match: action "db.export", resource "prod/*"',
        '  approvers: group owners; quorum 1',
        '  requestTtl 15m, grantTtl 60s',
        '  never eligible: agent:report-bot (the actor) and whoever it acts for',
        'rules before it that did not match:',
        '  1. reads-ok: action "db.export" does not match "db.read*"',
        '  2. no-iam: action "db.export" does not match "iam.*"',
        'The first rule whose action, resource and actor patterns all match, and whose when condition holds, decides.',
        '',
      ].join('\n'),
    });
  });

  test('no match falls to the default; a bad policy file is an input error', () => {
    const none = cli(
      [
        'explain',
        '--policy',
        'policy.json',
        '--action',
        'db.export',
        '--resource',
        'dev/x',
        '--actor',
        'agent:a',
      ],
      files.dir,
    );
    expect(none.code).toBe(0);
    expect(none.stdout.split('\n').slice(0, 2)).toEqual([
      'decision: deny',
      'rule: none matched; defaultEffect deny applies (rule id "default")',
    ]);
    expect(none.stdout).toContain('  3. exports-need-one: resource "dev/x" does not match "prod/*"\n');
    expect(
      cli(['explain', '--policy', 'audit.jsonl', '--action', 'a', '--actor', 'agent:a'], files.dir),
    ).toMatchObject({
      code: 3,
      stderr: 'countersign: policy audit.jsonl is not JSON\n',
    });
  });
});

describe('the command line', () => {
  test('--help exits 0 with the usage on stdout; no command is a usage error on stderr', () => {
    const help = cli(['audit', 'verify', '--help'], files.dir);
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
    expect(help.stdout.startsWith('Usage: countersign audit verify <log.jsonl>')).toBe(true);
    const none = cli([], files.dir);
    expect(none.code).toBe(2);
    expect(none.stderr.startsWith('Usage: countersign <command> [options]')).toBe(true);
  });

  test('serve reaches serve() in @countersign/http and exits with its code', () => {
    const result = cli(['serve', '--help'], files.dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/countersign serve/);
  });

  test('an unknown command suggests the closest one', () => {
    expect(cli(['audit', 'verfy', 'x'], files.dir)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "countersign: unknown command 'audit verfy'; did you mean 'audit verify'?\nRun 'countersign --help' for usage.\n",
    });
  });
});
