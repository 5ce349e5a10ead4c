import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, test } from 'vitest';
import { startHttpFixture } from './fixtures/http-server.js';
import { refusalText } from './helpers.js';
import { type ProxyHarness, startProxyHarness } from './proxy-harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(): Promise<{
  harness: ProxyHarness;
  fixture: Awaited<ReturnType<typeof startHttpFixture>>;
}> {
  const fixture = await startHttpFixture();
  cleanups.push(fixture.close);
  const harness = startProxyHarness({
    upstream: { url: fixture.url, headers: { Authorization: 'Bearer upstream-token' } },
    serverName: 'fixture',
  });
  cleanups.push(async () => {
    await harness.proxy.close();
    await harness.cs.close();
  });
  return { harness, fixture };
}

describe('guarding proxy against a Streamable HTTP server', () => {
  test('allowed calls reach it with their result intact; denied ones never do', async () => {
    const { harness, fixture } = await start();
    const client = await harness.client();
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual([
      'read_file',
      'delete_repo',
      'drop_table',
    ]);
    const denied = (await client.callTool({
      name: 'drop_table',
      arguments: { table: 't' },
    })) as CallToolResult;
    expect(denied.isError).toBe(true);
    expect((denied.content[0] as { text: string }).text).toBe(refusalText('policy_denied'));
    const read = await client.callTool({ name: 'read_file', arguments: { path: '/a' } });
    expect(read).toEqual({
      content: [{ type: 'text', text: 'contents of /a' }],
      structuredContent: { path: '/a', size: 42 },
    });
    expect(fixture.received).toEqual([{ name: 'read_file', args: { path: '/a' } }]);
    expect(new Set(fixture.authorizations)).toEqual(new Set(['Bearer upstream-token']));
  });

  test('a guarded call waits with progress, and reaches the server only once approved', async () => {
    const { harness, fixture } = await start();
    const client = await harness.client();
    const requestId = harness.nextRequest();
    const progress: Progress[] = [];
    let sawProgress!: () => void;
    const firstProgress = new Promise<void>((resolve) => {
      sawProgress = resolve;
    });
    const call = client.callTool({ name: 'delete_repo', arguments: { repo: 'acme/site' } }, undefined, {
      onprogress: (update) => {
        progress.push(update);
        sawProgress();
      },
    });
    const id = await requestId;
    await firstProgress;
    expect(progress[0]?.progress).toBe(1);
    expect(fixture.received).toEqual([]);
    await harness.cs.decide(id, { approver: 'user:bob', outcome: 'approve' });
    expect(await call).toEqual({ content: [{ type: 'text', text: 'deleted acme/site' }] });
    expect(fixture.received).toEqual([{ name: 'delete_repo', args: { repo: 'acme/site' } }]);
  });

  test('a call the server can no longer be sent is answered with an error and recorded failed', async () => {
    const { harness, fixture } = await start();
    const client = await harness.client();
    await client.listTools();
    await fixture.close();
    const call = client.callTool({ name: 'read_file', arguments: { path: '/a' } });
    await expect(call).rejects.toThrow(/the call could not be sent to the MCP server/);
    const types = (await harness.cs.audit.entries()).map((entry) => entry.type);
    expect(types).toContain('failed');
    expect(types).not.toContain('executed');
  });
});
