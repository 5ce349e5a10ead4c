import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('TEAMS_')) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@countersign/source', '--import', 'tsx', 'src/main.ts'],
      {
        cwd: root,
        env,
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

test('runs the whole loop against the Teams emulator, with no TTY, and exits cleanly', async () => {
  const { code, stdout, stderr } = await run();
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toContain('Bob Approver clicked Approve (invoke answered HTTP 200, valid)');
  expect(stdout).toContain('Dan Data clicked Approve (invoke answered HTTP 200, valid)');
  expect(stdout).toContain('Agent: resumed; exported 1284 rows.');
  expect(stdout).toContain(
    'requested -> delivered -> decided -> decided -> approved -> granted -> revoked -> executed',
  );
  expect(stdout).toContain('Audit verified: 8 entries, hash chain intact.');
  expect(stdout).toContain('Teams card after the decision: "Approved: the action ran');
  expect(stdout).not.toContain('sk_live_do_not_show_me');
}, 60_000);
