import { expect, test } from 'vitest';
import { runExample } from '../../run-example.js';

test('the quickstart runs without a TTY: allowed, approved, denied, and a verified audit log', async () => {
  const { code, stdout, stderr } = await runExample(import.meta.url);
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
