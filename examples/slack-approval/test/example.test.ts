import { expect, test } from 'vitest';
import { runExample } from '../../run-example.js';

test('runs the whole loop against the emulator, with no TTY, and exits cleanly', async () => {
  const { code, stdout, stderr } = await runExample(import.meta.url);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toContain('U0BOB clicked Approve (Slack got HTTP 200');
  expect(stdout).toContain('U0DAN clicked Approve (Slack got HTTP 200');
  expect(stdout).toContain('Agent: resumed; exported 1284 rows.');
  expect(stdout).toContain('requested -> delivered -> decided -> approved -> granted -> executed');
  expect(stdout).toContain('Audit verified: 6 entries, hash chain intact.');
  expect(stdout).not.toContain('sk_live_do_not_show_me');
}, 60_000);
