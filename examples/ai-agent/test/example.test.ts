import { expect, test } from 'vitest';
import { runExample } from '../../run-example.js';

test('the read runs, the export runs after the Slack approval, the escalation is denied; the model sees each outcome', async () => {
  const { code, stdout, stderr } = await runExample(import.meta.url);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const lines = stdout.split('\n').map((line) => line.trim());
  const seen = lines.filter((line) => line.startsWith('model sees'));
  expect(seen).toEqual([
    'model sees   db__read -> {"type":"json","value":{"table":"orders","rows":1284}}',
    'model sees   db__export -> {"type":"json","value":{"file":"customers.csv","rows":1284}}',
    'model sees   iam__grant -> {"type":"execution-denied","reason":"Denied by policy: this action is not permitted. Do not retry it; tell the user."}',
  ]);
  // The export ran only after the click, and the escalation never ran.
  const clicked = lines.indexOf('slack        U0BOB clicked Approve (HTTP 200)');
  const exported = lines.indexOf('tool         db.export ran for customers');
  expect(clicked).toBeGreaterThan(-1);
  expect(exported).toBeGreaterThan(clicked);
  expect(stdout).not.toContain('iam.grant ran');
  expect(stdout).toContain(
    'Audit: allowed -> executed -> requested -> delivered -> approved -> granted -> executed -> policy_denied',
  );
  expect(stdout).toContain('Audit verified: 8 entries, hash chain intact.');
}, 60_000);
