import { createServer } from 'node:net';
import { expect, test } from 'vitest';
import { runExample } from '../../run-example.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

test('the workflow step runs locally: the job proves itself with a GitHub OIDC token, bob approves, the deploy runs once', async () => {
  const { code, stdout, stderr } = await runExample(import.meta.url, { PORT: String(await freePort()) });
  expect(stdout).toContain('server  | agent:github:acme/api asks for deploy.production on service:api');
  expect(stdout).toContain('[simulated] approved through the decision API: HTTP 200');
  expect(stdout).toContain(
    'job     | release | deploying 9fceb02d0ae598e95dc970b74767f19372d61af8 to production',
  );
  expect(stdout).toContain('release | grant token present: yes');
  expect(stdout).toContain('release | OIDC request token present: no');
  expect(stdout).toContain('job     | exited 0');
  expect(stdout).toContain('hash chain intact');
  // No token (a JWT or the grant) is ever printed.
  expect(`${stdout}${stderr}`).not.toMatch(/eyJ[\w-]+\.|cs_grant_/);
  expect(code).toBe(0);
}, 90_000);
