import { expect, test } from 'vitest';
import { runExample } from '../../run-example.js';

test('step 1 pauses, two Slack clicks approve, step 2 runs the export once, a replay is refused, the audit verifies', async () => {
  const { code, stdout, stderr } = await runExample(import.meta.url);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const lines = stdout.split('\n');
  const at = (text: string) => {
    const index = lines.findIndex((line) => line.includes(text));
    expect(index, `a line with ${JSON.stringify(text)} in:\n${stdout}`).toBeGreaterThanOrEqual(0);
    return index;
  };
  const order = [
    at('Step 1: paused; request req_'),
    at('The model is told (final: false)'),
    at('Approver: U0BOB clicked Approve in Slack (HTTP 200)'),
    at('Approver: U0DAN clicked Approve in Slack (HTTP 200)'),
    at('Approver: the request is approved.'),
    at('Step 2: approved; running the export with grant grt_'),
    at('Step 2: exported 1284 rows.'),
    at('Step 2, replayed: already_started.'),
    at('The model is told (final: true)'),
  ];
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  expect(lines.filter((line) => line.includes('running the export'))).toHaveLength(1);
  expect(stdout).toContain('Audit: requested -> delivered -> decided -> approved -> granted -> executed');
  expect(stdout).toContain('Audit verified: 6 entries, hash chain intact.');
  expect(stdout).toContain('Slack message now: "Approved: the action ran');
}, 60_000);
