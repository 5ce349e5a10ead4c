import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createCountersign } from '@countersign/core';
import { createTestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { ExitCode, run } from '../src/index.js';
import { POLICY } from './fixtures.js';

// The child compiles the CLI's TypeScript on start, slow on a loaded host.
vi.setConfig({ testTimeout: 120_000 });

const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

let dir: string;
let log: string;

/** A log whose timeline is far larger than a pipe's buffer, so the CLI is still writing when the reader leaves. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cs-cli-pipe-'));
  log = join(dir, 'audit.jsonl');
  const cs = createCountersign({ store: createMemoryStore(), clock: createTestClock(), ...POLICY } as never);
  const context = { actor: 'agent:report-bot', reason: 'Q3 report', sessionId: 'sess_1' };
  for (let i = 0; i < 1_500; i++) {
    await cs.guard({ name: 'db.read', resource: 'prod/db', params: { i }, run: () => 1 }, context);
  }
  writeFileSync(log, await cs.audit.export());
  await cs.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in a child process and closes its stdout after the first chunk, as `| head -1` does. */
function runThenCloseStdout(
  args: readonly string[],
): Promise<{ code: number | null; stderr: string; read: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['--conditions=@countersign/source', BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let read = 0;
    child.stdout.once('data', (chunk: Buffer) => {
      read = chunk.length;
      child.stdout.destroy();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, read }));
  });
}

describe('a reader that closes stdout early (countersign … | head)', () => {
  test('the command stops quietly: exit 141, nothing on stderr, no stack', async () => {
    const { code, stderr, read } = await runThenCloseStdout(['audit', 'show', log]);
    expect(read).toBeGreaterThan(0);
    expect(stderr).toBe('');
    expect(code).toBe(ExitCode.OutputClosed);
  });

  test('in process: a stdout that fails with EPIPE ends the command with 141, and stderr stays empty', async () => {
    let writes = 0;
    const stdout = new Writable({
      write(_chunk, _encoding, callback) {
        writes++;
        callback(writes > 2 ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }) : null);
      },
    });
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    expect(await run(['audit', 'show', log], { stdout, stderr })).toBe(ExitCode.OutputClosed);
    expect(err).toBe('');
    // It stopped at the broken pipe instead of writing the other thousands of lines into it.
    expect(writes).toBeLessThan(10);
  });

  test('any other write error is not mistaken for a reader that left', async () => {
    const stdout = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
      },
    });
    await expect(run(['audit', 'show', log], { stdout, stderr: new PassThrough() })).rejects.toThrow(
      /no space left/,
    );
  });
});
