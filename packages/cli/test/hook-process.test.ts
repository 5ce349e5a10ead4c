// The hook as Claude Code runs it: a process that must print its deny and exit before its own limit.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bashInput, configFile, decisionOf, standardConfig } from './hook-fixtures.js';

const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

let silent: Server;
let url: string;
beforeAll(async () => {
  // Accepts every request and never answers: an approval that never comes, or a server that hangs.
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
afterAll(() => {
  silent.closeAllConnections();
  return new Promise<void>((resolve) => silent.close(() => resolve()));
});

function hookProcess(args: readonly string[], stdin: string, env: Record<string, string>) {
  const child = spawn(TSX, ['--conditions=@countersign/source', BIN, 'hook', 'claude-code', ...args], {
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.stdin.end(stdin);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

test('a server that never answers: the process prints deny, exits 0 and ends on its own', async () => {
  const config = configFile(standardConfig({ server: url, timeoutSeconds: 2 }));
  const result = await hookProcess(['--config', config], JSON.stringify(bashInput('terraform apply')), {
    COUNTERSIGN_TOKEN: 'a.b.c',
  });
  expect(result.code).toBe(0);
  expect(decisionOf(result.stdout)).toEqual({
    decision: 'deny',
    reason: expect.stringContaining("no approval decision within this hook's limit of 2 s"),
  });
}, 60_000);
