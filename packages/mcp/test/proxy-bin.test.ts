import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, test, vi } from 'vitest';
import { refusalText } from './helpers.js';
import { FIXTURE, fixtureLog, readCalls } from './proxy-harness.js';

// Each test starts the bin through tsx, which compiles it and the MCP SDK: slow on a loaded CI host.
vi.setConfig({ testTimeout: 120_000 });

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
});
