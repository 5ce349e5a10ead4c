// Runs the example as a user would and checks what the model saw at each step.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function start(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@countersign/source', '--import', 'tsx', 'src/main.ts'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the read runs, the export runs after the Slack approval, the escalation is denied; the model sees each outcome', async () => {
  const { code, stdout, stderr } = await start();
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
    'Audit: allowed -> revoked -> executed -> requested -> delivered -> decided -> approved -> granted -> revoked -> executed -> policy_denied',
  );
  expect(stdout).toContain('Audit verified: 11 entries, hash chain intact.');
}, 60_000);
