import { expect, test } from 'vitest';
import { runExample } from '../../run-example.js';

test('runs the whole loop against the Teams emulator, with no TTY, and exits cleanly', async () => {
  const { code, stdout, stderr } = await runExample(import.meta.url);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toContain('Bob Approver clicked Approve (invoke answered HTTP 200, valid)');
  expect(stdout).toContain('Dan Data clicked Approve (invoke answered HTTP 200, valid)');
  expect(stdout).toContain('Agent: resumed; exported 1284 rows.');
  expect(stdout).toContain('requested -> delivered -> decided -> approved -> granted -> executed');
  expect(stdout).toContain('Audit verified: 6 entries, hash chain intact.');
  expect(stdout).toContain('Teams card after the decision: "Approved: the action ran');
  expect(stdout).not.toContain('sk_live_do_not_show_me');
}, 60_000);
