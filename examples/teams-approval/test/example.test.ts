import { expect, test } from 'vitest';
import { runExample } from '../../run-example.js';

test('runs the whole loop against the Teams emulator, with no TTY, and exits cleanly', async () => {
  const { code, stdout, stderr } = await runExample(import.meta.url);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  // In the order they happen: both clicks, then the agent runs, then Teams' answers are reported.
  const order = [
    '  Bob Approver clicks Approve\n',
    '  Dan Data clicks Approve\n',
    'Agent: approved; running the export with grant',
    'Agent: resumed; exported 1284 rows.',
    '  Teams answered the clicks: Bob Approver HTTP 200 (valid), Dan Data HTTP 200 (valid)\n',
  ].map((line) => stdout.indexOf(line));
  expect(order.every((at) => at >= 0)).toBe(true);
  expect(order).toEqual([...order].sort((a, b) => a - b));
  expect(stdout).toContain('requested -> delivered -> decided -> approved -> granted -> executed');
  expect(stdout).toContain('Audit verified: 6 entries, hash chain intact.');
  expect(stdout).toContain('Teams card after the decision: "Approved: the action ran');
  expect(stdout).not.toContain('sk_live_do_not_show_me');
}, 60_000);
