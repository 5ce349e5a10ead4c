// The hook with the real agent client over HTTP: refused tokens, no token, a server that is down.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectAgentApi } from '../src/hook/agent-connect.js';
import type { HookClient } from '../src/hook/hook-client.js';
import { bashInput, configFile, decisionOf, runHook, standardConfig } from './hook-fixtures.js';

let server: Server;
let url: string;
const seen: Array<{ method: string; path: string; authorization: string | undefined }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({
      method: request.method ?? '',
      path: request.url ?? '',
      authorization: request.headers.authorization,
    });
    request.resume();
    response.writeHead(401, { 'content-type': 'application/problem+json' });
    response.end(
      JSON.stringify({
        type: 'about:blank',
        status: 401,
        code: 'unauthenticated',
        detail: 'the token has expired',
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function realClient(env: Record<string, string>): HookClient {
  return connectAgentApi(env)(url, null);
}

async function closedPort(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('countersign hook claude-code with the agent client', () => {
  test('an expired or forged token: the server says 401, the hook denies and says to renew it', async () => {
    const args = ['--config', configFile(standardConfig({ server: url }))];
    const result = await runHook(
      args,
      JSON.stringify(bashInput('terraform apply')),
      realClient({ COUNTERSIGN_TOKEN: 'eyJ.forged.sig' }),
    );
    const { decision, reason } = decisionOf(result.stdout);
    expect(decision).toBe('deny');
    expect(reason).toContain("refused this agent's token (401 unauthenticated: the token has expired)");
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      path: '/v1/calls',
      authorization: 'Bearer eyJ.forged.sig',
    });
    expect(result.stderr).not.toContain('eyJ.forged.sig');
    expect(result.stdout).not.toContain('eyJ.forged.sig');
  });

  test('no token at all: denied before anything is sent', async () => {
    const before = seen.length;
    const args = ['--config', configFile(standardConfig({ server: url }))];
    const result = await runHook(args, JSON.stringify(bashInput('terraform apply')), realClient({}));
    expect(decisionOf(result.stdout)).toMatchObject({
      decision: 'deny',
      reason: expect.stringContaining('COUNTERSIGN_TOKEN'),
    });
    expect(seen.length).toBe(before);
  });

  test('a server that is down: denied, saying it cannot be reached', async () => {
    const down = await closedPort();
    const args = ['--config', configFile(standardConfig({ server: down }))];
    const client = connectAgentApi({ COUNTERSIGN_TOKEN: 't.o.k' })(down, null);
    const result = await runHook(args, JSON.stringify(bashInput('terraform apply')), client);
    expect(decisionOf(result.stdout)).toMatchObject({
      decision: 'deny',
      reason: expect.stringMatching(/cannot reach the approval server at http:\/\/127\.0\.0\.1:\d+.*not run/),
    });
  });
});
