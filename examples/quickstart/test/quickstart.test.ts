import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@countersign/source', '--import', 'tsx', 'src/main.ts'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the quickstart runs without a TTY: allowed, approved, denied, and a verified audit log', async () => {
  const { code, stdout, stderr } = await runDemo();
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toContain(
    '[simulated approver] no TTY detected: user:bob approves from code via cs.decide()',
  );
  expect(stdout).toMatch(/allowed: read 2 rows/);
  expect(stdout).toMatch(/approved: the database accepted grant grt_\S+ and exported 3 rows/);
  expect(stdout).toMatch(/replay refused: .*refused: consumed/);
  expect(stdout).toMatch(/denied by policy: .*iam\.grantRole.*no-privilege-escalation/);
  expect(stdout).toContain('"apiKey":"[REDACTED]"');
  expect(stdout).not.toContain('sk_live_');
  expect(stdout).toMatch(/#\d+ +consume_refused/);
  expect(stdout).toMatch(/cs\.audit\.verify\(\): ok, \d+ entries/);
  expect(stdout).toMatch(/verifyAuditLog\(await cs\.audit\.export\(\)\): ok/);
}, 60_000);
