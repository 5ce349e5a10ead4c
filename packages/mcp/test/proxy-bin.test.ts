import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { type Child, killChildren, startChild } from './child-lines.js';
import { refusalText } from './helpers.js';
import { FIXTURE, fixtureLog, readCalls } from './proxy-harness.js';

// Each test starts the bin through tsx, which compiles it and the MCP SDK: slow on a loaded CI host.
vi.setConfig({ testTimeout: 120_000 });
// A test that fails must not leave its proxy running.
afterEach(killChildren);

// The bin runs from source through tsx (a root dev dependency), resolving workspace packages to their sources.
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const BIN_ARGS = ['--conditions=@countersign/source', 'src/proxy-bin.ts', '--config'];

function writeConfig(config: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cs-mcp-config-')), 'proxy.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function configFor(log: string, extra: Record<string, unknown> = {}) {
  return {
    server: { name: 'fixture', command: process.execPath, args: [FIXTURE], env: { FIXTURE_LOG: log } },
    actor: 'agent:desktop',
    policy: [
      { id: 'reads', match: { action: 'mcp.fixture.read_file' }, effect: 'allow' },
      { id: 'never-drop', match: { action: 'mcp.fixture.drop_table' }, effect: 'deny' },
    ],
    ...extra,
  };
}

const FRAGILE = fileURLToPath(new URL('./fixtures/fragile-server.mjs', import.meta.url));
const INITIALIZE =
  '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}';

function fragileConfig() {
  return {
    ...configFor(fixtureLog()),
    server: { name: 'fixture', command: process.execPath, args: [FRAGILE] },
  };
}

const answerTo = (id: number) => (line: string) => (JSON.parse(line) as { id?: unknown }).id === id;

/** The fragile server's pid, once it announces that it received `what` (`started` comes first). */
async function announced(bin: Child, what: string): Promise<number> {
  const line = await bin.nextLine((text) => text.includes(`"received":"${what}"`));
  return (JSON.parse(line) as { params: { data: { pid: number } } }).params.data.pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runBin(configFile: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(TSX, [...BIN_ARGS, configFile], { cwd: PACKAGE, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.stdin.end();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('countersign-mcp-proxy', () => {
  test('an unknown config key stops it before anything starts, naming the key', async () => {
    const log = fixtureLog();
    const { code, stderr } = await runBin(
      writeConfig(configFor(log, { polciy: [], store: { type: 'memory', url: 'x' } })),
    );
    expect(code).toBe(1);
    expect(stderr).toContain('store: unknown key(s) "url"');
    expect(stderr).toContain('unknown key(s) "polciy"');
    expect(readCalls(log)).toEqual([]);
  });

  test('a missing secret environment variable is named, never guessed', async () => {
    const { code, stderr } = await runBin(
      writeConfig(
        configFor(fixtureLog(), {
          transports: [
            {
              type: 'slack',
              tokenEnv: 'CS_TEST_UNSET_TOKEN',
              signingSecretEnv: 'CS_TEST_UNSET_SECRET',
              channel: 'C1',
              teamId: 'T1',
              listen: { port: 0 },
            },
          ],
        }),
      ),
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      'the Slack bot token is read from the environment variable CS_TEST_UNSET_TOKEN, which is not set',
    );
  });

  test('an MCP client through the bin: allowed calls reach the server, denied ones do not', async () => {
    const log = fixtureLog();
    const transport = new StdioClientTransport({
      command: TSX,
      args: [...BIN_ARGS, writeConfig(configFor(log))],
      cwd: PACKAGE,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'desktop', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('delete_repo');
      const denied = (await client.callTool({
        name: 'drop_table',
        arguments: { table: 't' },
      })) as CallToolResult;
      expect(denied.isError).toBe(true);
      expect((denied.content[0] as { text: string }).text).toBe(refusalText('policy_denied'));
      // No rule matches delete_repo: the default effect denies it.
      const unmatched = (await client.callTool({
        name: 'delete_repo',
        arguments: { repo: 'a/b' },
      })) as CallToolResult;
      expect(unmatched.isError).toBe(true);
      const read = (await client.callTool({
        name: 'read_file',
        arguments: { path: '/x' },
      })) as CallToolResult;
      expect(read.isError).toBeUndefined();
      expect(readCalls(log)).toEqual([{ name: 'read_file', args: { path: '/x' } }]);
    } finally {
      await client.close();
    }
  });

  test('SIGTERM ends it while the client keeps stdin open: exit 0, and the server is gone', async () => {
    const bin = startChild('src/proxy-bin.ts', ['--config', writeConfig(fragileConfig())]);
    const server = await announced(bin, 'started');
    bin.process.stdin.write(`${INITIALIZE}\n`);
    await bin.nextLine(answerTo(0));
    bin.process.kill('SIGTERM');
    expect(await bin.exited).toBe(0);
    expect(alive(server)).toBe(false);
  });

  test('the server killed mid-call: the call gets an error at once, and the proxy exits 1', async () => {
    const bin = startChild('src/proxy-bin.ts', ['--config', writeConfig(fragileConfig())]);
    bin.process.stdin.write(`${INITIALIZE}\n`);
    await bin.nextLine(answerTo(0));
    bin.process.stdin.write(
      '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/x"}}}\n',
    );
    process.kill(await announced(bin, 'read_file'), 'SIGKILL');
    expect(JSON.parse(await bin.nextLine(answerTo(7)))).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32603, message: '[countersign-mcp-proxy] the MCP server exited before answering' },
    });
    expect(await bin.exited).toBe(1);
  });

  test('a 100,000-deep batch line is answered with an error; the process stays up and answers the next request', async () => {
    const bin = startChild('src/proxy-bin.ts', ['--config', writeConfig(fragileConfig())]);
    bin.process.stdin.write(`${INITIALIZE}\n`);
    await bin.nextLine(answerTo(0));
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    bin.process.stdin.write(`[{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":${deep}}}]\n`);
    const refused = JSON.parse(await bin.nextLine((line) => line.includes('"id":null'))) as {
      error: { code: number };
    };
    expect(refused.error.code).toBe(-32600);
    bin.process.stdin.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    expect(JSON.parse(await bin.nextLine(answerTo(2)))).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
    bin.process.stdin.end();
    expect(await bin.exited).toBe(0);
  });
});
