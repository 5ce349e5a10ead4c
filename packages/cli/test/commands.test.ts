import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, sealAuditEntries } from '@countersign/core';
import { sampleDraft } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import { runCaptured } from './run-in-process.js';

describe('help', () => {
  test('every command has --help, exit 0, usage on stdout', async () => {
    for (const [args, first] of [
      [['--help'], 'Usage: countersign <command> [options]'],
      [['help'], 'Usage: countersign <command> [options]'],
      [['audit', '--help'], 'Usage: countersign audit <verify|show|export> ...'],
      [['audit', 'verify', '--help'], 'Usage: countersign audit verify <log.jsonl>'],
      [['audit', 'show', '-h'], 'Usage: countersign audit show <log.jsonl> [--request <id>]'],
      [['audit', 'export', '--help'], 'Usage: countersign audit export --store <postgres url>'],
      [['explain', '--help'], 'Usage: countersign explain --policy <file.json>'],
    ] as const) {
      const result = await runCaptured(args);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(result.stdout.startsWith(first)).toBe(true);
    }
  });

  test('every help text lists the exit codes', async () => {
    for (const args of [
      ['--help'],
      ['audit', 'verify', '--help'],
      ['audit', 'show', '--help'],
      ['audit', 'export', '--help'],
      ['explain', '--help'],
    ]) {
      expect((await runCaptured(args)).stdout).toMatch(/Exit codes: 0 /);
    }
  });
});

describe('usage errors (exit 2)', () => {
  test.each([
    [['explian'], "unknown command 'explian'; did you mean 'explain'?"],
    [['audit', 'shwo', 'x'], "unknown command 'audit shwo'; did you mean 'audit show'?"],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [
      ['audit', 'show', 'log', '--requst', 'r'],
      "unknown flag --requst for 'audit show'; did you mean --request?",
    ],
    [['audit', 'show', 'log', '-r', 'r'], "unknown flag -r for 'audit show'; known flags: --request"],
    [['audit', 'show', 'log', '--color'], "unknown flag --color for 'audit show'; known flags: --request"],
    [['audit', 'show'], "'audit show' needs <log.jsonl>"],
    [['audit', 'show', 'a', 'b'], `unexpected argument "b" for 'audit show'`],
    [['audit', 'show', 'a', '--request'], '--request needs a value'],
    [['audit', 'show', 'a', '--request', 'x', '--request', 'y'], '--request is given twice'],
    [['audit', 'verify', 'a', '--max-gap', '-1'], '--max-gap must be a whole number ≥ 0, not "-1"'],
    [['audit', 'verify', 'a', '--max-gap'], '--max-gap needs a value'],
    [['audit', 'verify', 'a', '--max-gap=ten'], '--max-gap must be a whole number ≥ 0, not "ten"'],
    [['audit', 'verify', 'a', '--key', 'k.pem'], '--key is only used with --checkpoints'],
    [['audit', 'export', '--format', 'ocsf'], "'audit export' needs --store"],
    [
      ['audit', 'export', '--store', 'postgres://x/y', '--format', 'csv'],
      '--format must be jsonl or ocsf, not "csv"',
    ],
    [
      ['audit', 'export', '--store', 'mysql://x/y', '--format', 'ocsf'],
      '--store must be a postgres:// or postgresql:// URL',
    ],
    [
      ['audit', 'export', '--store', 'postgres://x/y', '--format', 'ocsf', '--schem', 's'],
      "unknown flag --schem for 'audit export'; did you mean --schema?",
    ],
    [['explain', '--policy', 'p.json', '--action', 'a'], "'explain' needs --actor"],
  ])('%j', async (args, message) => {
    const result = await runCaptured(args);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `countersign: ${message}\nRun 'countersign --help' for usage.\n`,
    });
  });
});

describe('serve', () => {
  test('hands its arguments to serve() from @countersign/http and exits with its code', async () => {
    const calls: string[][] = [];
    const result = await runCaptured(['serve', '--port', '8080', '--help'], {
      loadHttp: async () => ({
        serve: async (argv: string[]) => {
          calls.push(argv);
          return 7;
        },
      }),
    });
    expect(calls).toEqual([['--port', '8080', '--help']]);
    expect(result.code).toBe(7);
  });

  test('a missing package or a package without serve() is a clear error, exit 3', async () => {
    const missing = Object.assign(new Error("Cannot find package '@countersign/http'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(await runCaptured(['serve'], { loadHttp: () => Promise.reject(missing) })).toEqual({
      code: 3,
      stdout: '',
      stderr:
        'countersign serve: @countersign/http is needed, but it is not installed; install it next to @countersign/cli\n',
    });
    expect(await runCaptured(['serve'], { loadHttp: async () => ({}) })).toEqual({
      code: 3,
      stdout: '',
      stderr:
        'countersign serve: this version of @countersign/http has no serve(argv) export; upgrade it to one that does\n',
    });
  });
});

describe('explain', () => {
  test('shows the credentials a rule names without needing their broker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-cli-explain-'));
    const path = join(dir, 'policy.json');
    const rule = {
      id: 'reads-with-role',
      match: { action: 'db.read' },
      effect: 'allow',
      credentials: { broker: 'pg', privileges: ['SELECT ON orders'] },
    };
    writeFileSync(path, JSON.stringify([rule]));
    try {
      const result = await runCaptured([
        'explain',
        '--policy',
        path,
        '--action',
        'db.read',
        '--actor',
        'agent:a',
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout.split('\n').slice(0, 4)).toEqual([
        'decision: allow',
        'rule: reads-with-role (rule 1 of 1)',
        '  match: action "db.read"',
        '  credentials: broker pg, privileges ["SELECT ON orders"]',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown member in the policy file is an input error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-cli-explain-'));
    const path = join(dir, 'policy.json');
    writeFileSync(path, JSON.stringify({ policy: [], rules: [] }));
    try {
      const result = await runCaptured(['explain', '--policy', path, '--action', 'a', '--actor', 'agent:a']);
      expect(result).toEqual({
        code: 3,
        stdout: '',
        stderr: `countersign: policy ${path}: unknown member(s) rules; expected policy, defaultEffect, directory\n`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('audit logs are read byte for byte', () => {
  /** A log whose second entry's detail holds U+FFFD, and a twin with the one byte 0xFF in its place. */
  function twins(dir: string): { good: string; bad: string } {
    const drafts = [sampleDraft('requested'), sampleDraft('delivered', 'x\ufffdy'), sampleDraft('reminded')];
    const text = sealAuditEntries(null, drafts)
      .map((entry) => `${canonicalJson(entry)}\n`)
      .join('');
    const bytes = Buffer.from(text, 'utf8');
    const at = bytes.indexOf(Buffer.from('\ufffd', 'utf8'));
    const good = join(dir, 'good.jsonl');
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(good, bytes);
    writeFileSync(bad, Buffer.concat([bytes.subarray(0, at), Buffer.of(0xff), bytes.subarray(at + 3)]));
    return { good, bad };
  }

  test('two files that differ in one invalid byte: one verifies, the other is exit 3 naming its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-cli-bytes-'));
    try {
      const { good, bad } = twins(dir);
      expect(await runCaptured(['audit', 'verify', good])).toMatchObject({ code: 0, stderr: '' });
      const expected = {
        code: 3,
        stdout: '',
        stderr: `countersign: audit log ${bad} is not UTF-8 text without a byte order mark: line 2 is not valid UTF-8\n`,
      };
      expect(await runCaptured(['audit', 'verify', bad])).toEqual(expected);
      expect(await runCaptured(['audit', 'show', bad])).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a policy, key or checkpoint file that is not UTF-8 is exit 3 too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-cli-bytes-'));
    const path = join(dir, 'policy.json');
    writeFileSync(path, Buffer.from([0x5b, 0xff, 0x5d]));
    try {
      expect(await runCaptured(['explain', '--policy', path, '--action', 'a', '--actor', 'agent:a'])).toEqual(
        {
          code: 3,
          stdout: '',
          stderr: `countersign: policy ${path} is not valid UTF-8 text\n`,
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--allow-pruned accepts a log that starts after seq 1, and says so; not with --checkpoints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-cli-bytes-'));
    const path = join(dir, 'pruned.jsonl');
    const entries = sealAuditEntries({ seq: 40, hash: 'e'.repeat(64) }, [sampleDraft('reminded')]);
    writeFileSync(path, `${canonicalJson(entries[0])}\n`);
    try {
      expect(await runCaptured(['audit', 'verify', path])).toEqual({
        code: 1,
        stderr: '',
        stdout: `FAIL chain ${path}: log starts at seq 41: earlier entries were deleted\n  line 1: ${canonicalJson(entries[0]).slice(0, 157)}...\n`,
      });
      const pruned = await runCaptured(['audit', 'verify', path, '--allow-pruned']);
      expect(pruned.code).toBe(0);
      expect(pruned.stdout.split('\n')[0]).toBe(
        `ok   chain ${path}: 1 entries, seq 41-41 (pruned: the first prevHash is not checked), head ${entries[0]!.hash}`,
      );
      expect(
        await runCaptured(['audit', 'verify', path, '--allow-pruned', '--checkpoints', 'c', '--key', 'k']),
      ).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('--allow-pruned cannot be used with --checkpoints'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
