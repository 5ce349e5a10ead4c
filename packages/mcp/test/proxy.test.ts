import { spawn } from 'node:child_process';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, test } from 'vitest';
import { OUTCOME_META_KEY } from '../src/index.js';
import { refusalText } from './helpers.js';
import { FIXTURE, fixtureLog, type ProxyHarness, readCalls, startProxyHarness } from './proxy-harness.js';

const INITIALIZE =
  '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}';
const INITIALIZED = '{"jsonrpc":"2.0","method":"notifications/initialized"}';
const READ =
  '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/etc/motd"}}}';

const running: ProxyHarness[] = [];
afterEach(async () => {
  for (const harness of running.splice(0)) {
    await harness.proxy.close();
    await harness.cs.close();
  }
});

function start(): ProxyHarness {
  const harness = startProxyHarness();
  running.push(harness);
  return harness;
}

/** The fixture's own answer to `lines`, without any proxy: what byte-for-byte is measured against. */
async function directAnswer(lines: string[], id: number): Promise<string> {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, FIXTURE_LOG: fixtureLog() },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  const answer = new Promise<string>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((candidate) => candidate.includes(`"id":${id}}`));
      if (line !== undefined) resolve(line);
    });
  });
  child.stdin.write(`${lines.join('\n')}\n`);
  const line = await answer;
  child.kill();
  return line;
}

const isAnswer = (id: number | null) => (line: string) => (JSON.parse(line) as { id?: unknown }).id === id;
const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text;

describe('guarding proxy against a real stdio server', () => {
  test('an allowed call and its result pass through byte for byte', async () => {
    const harness = start();
    harness.toProxy.write(`${INITIALIZE}\n${INITIALIZED}\n${READ}\n`);
    const viaProxy = await harness.nextLine(isAnswer(7));
    const direct = await directAnswer([INITIALIZE, INITIALIZED, READ], 7);
    expect(viaProxy).toBe(direct);
    // The fixture's key order and characters survive (the SDK itself would reorder them).
    expect(viaProxy).toContain('\u2028');
    expect(harness.received()).toEqual([{ name: 'read_file', args: { path: '/etc/motd' } }]);
  });

  test('lists the upstream tools, each with an optional reason argument', async () => {
    const client = await start().client();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['read_file', 'delete_repo', 'drop_table']);
    expect(tools[1]?.inputSchema.properties).toEqual({
      repo: { type: 'string' },
      reason: {
        type: 'string',
        maxLength: 2000,
        description: 'Why this call is needed, in one sentence. Shown to the person who approves it.',
      },
    });
    expect(tools[1]?.inputSchema.required).toEqual(['repo']);
  });

  test('with reasonArgument false, the tool list passes byte for byte', async () => {
    const harness = startProxyHarness({ reasonArgument: false });
    running.push(harness);
    const LIST = '{"jsonrpc":"2.0","id":5,"method":"tools/list","params":{}}';
    harness.toProxy.write(`${INITIALIZE}\n${INITIALIZED}\n${LIST}\n`);
    expect(await harness.nextLine(isAnswer(5))).toBe(await directAnswer([INITIALIZE, INITIALIZED, LIST], 5));
  });

  test("the model's reason goes to approvers, not into the checked or forwarded arguments", async () => {
    const harness = start();
    const client = await harness.client();
    await client.listTools();
    const requestId = harness.nextRequest();
    const call = client.callTool({
      name: 'delete_repo',
      arguments: { repo: 'acme/old', reason: 'archived in 2019' },
    });
    const id = await requestId;
    expect(await harness.cs.getRequest(id)).toMatchObject({
      reason: 'archived in 2019',
      action: { params: { repo: 'acme/old' } },
    });
    await harness.cs.decide(id, { approver: 'user:bob', outcome: 'approve' });
    expect(await call).toEqual({ content: [{ type: 'text', text: 'deleted acme/old' }] });
    expect(harness.received()).toEqual([{ name: 'delete_repo', args: { repo: 'acme/old' } }]);
  });

  test('a policy denial is answered by the proxy; the server never sees the call', async () => {
    const harness = start();
    const client = await harness.client();
    const result = (await client.callTool({
      name: 'drop_table',
      arguments: { table: 'users' },
    })) as CallToolResult;
    expect(result).toEqual({
      content: [{ type: 'text', text: refusalText('policy_denied') }],
      isError: true,
      _meta: { [OUTCOME_META_KEY]: { code: 'policy_denied', final: true } },
    });
    // A later allowed call has been answered by the server, so anything sent before it was received too.
    await client.callTool({ name: 'read_file', arguments: { path: '/a' } });
    expect(harness.received()).toEqual([{ name: 'read_file', args: { path: '/a' } }]);
  });

  test('a guarded call waits with progress notifications, and runs once approved', async () => {
    const harness = start();
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
      resetTimeoutOnProgress: true,
    });
    const id = await requestId;
    await firstProgress;
    const request = await harness.cs.getRequest(id);
    expect(request).toMatchObject({
      status: 'pending',
      actor: 'agent:desktop',
      action: { name: 'mcp.fixture.delete_repo', params: { repo: 'acme/site' } },
    });
    expect(progress[0]?.message).toBe(
      `Waiting for a person to approve this call (until ${new Date(request!.expiresAt).toISOString()}).`,
    );
    expect(harness.received()).toEqual([]);
    await harness.cs.decide(id, { approver: 'user:bob', outcome: 'approve' });
    expect(textOf((await call) as CallToolResult)).toBe('deleted acme/site');
    expect(harness.received()).toEqual([{ name: 'delete_repo', args: { repo: 'acme/site' } }]);
    expect((await harness.cs.getRequest(id))?.status).toBe('executed');
  });

  test('a call a person denies is an error result, and the server never sees it', async () => {
    const harness = start();
    const client = await harness.client();
    const requestId = harness.nextRequest();
    const call = client.callTool({ name: 'delete_repo', arguments: { repo: 'acme/site' } });
    await harness.cs.decide(await requestId, { approver: 'user:bob', outcome: 'deny', comment: 'no' });
    const result = (await call) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(refusalText('approval_denied', 'no'));
    await client.callTool({ name: 'read_file', arguments: { path: '/a' } });
    expect(harness.received()).toEqual([{ name: 'read_file', args: { path: '/a' } }]);
  });

  test('a call cancelled while waiting is never sent, and its request is cancelled', async () => {
    const harness = start();
    harness.toProxy.write(`${INITIALIZE}\n${INITIALIZED}\n`);
    await harness.nextLine(isAnswer(0));
    const requestId = harness.nextRequest();
    harness.toProxy.write(
      '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"delete_repo","arguments":{"repo":"x/y"}}}\n',
    );
    const id = await requestId;
    harness.toProxy.write(
      '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9,"reason":"timeout"}}\n',
    );
    await harness.cs.waitForDecision(id);
    expect((await harness.cs.getRequest(id))?.status).toBe('cancelled');
    harness.toProxy.write(`${READ}\n`);
    await harness.nextLine(isAnswer(7));
    expect(harness.received()).toEqual([{ name: 'read_file', args: { path: '/etc/motd' } }]);
    expect(harness.lines.filter(isAnswer(9))).toEqual([]);
  });

  test('a tool call without a usable id is never forwarded', async () => {
    const harness = start();
    harness.toProxy.write(`${INITIALIZE}\n${INITIALIZED}\n`);
    await harness.nextLine(isAnswer(0));
    harness.toProxy.write(
      '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"drop_table","arguments":{"table":"t"}}}\n' +
        '{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"drop_table","arguments":{"table":"u"}}}\n' +
        '{"jsonrpc":"2.0","id":{"x":1},"method":"tools/call","params":{"name":"drop_table","arguments":{"table":"v"}}}\n',
    );
    const refused = JSON.parse(await harness.nextLine(isAnswer(null))) as { error: { code: number } };
    expect(refused.error.code).toBe(-32600);
    harness.toProxy.write(`${READ}\n`);
    await harness.nextLine(isAnswer(7));
    expect(harness.received().map((call) => call.name)).toEqual(['read_file']);
  });

  test('a line naming a member twice is refused: an upstream keeping the first name never gets a tool call the proxy read as a ping', async () => {
    const harness = start();
    harness.toProxy.write(`${INITIALIZE}\n${INITIALIZED}\n`);
    await harness.nextLine(isAnswer(0));
    harness.toProxy.write(
      '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"drop_table","arguments":{"table":"t"}},"method":"ping"}\n',
    );
    const refused = JSON.parse(await harness.nextLine(isAnswer(5))) as {
      error: { code: number; message: string };
    };
    expect(refused.error).toEqual({
      code: -32600,
      message: '[countersign-mcp-proxy] the message names the member "method" twice',
    });
    harness.toProxy.write(`${READ}\n`);
    await harness.nextLine(isAnswer(7));
    // Forwarded, this server (last name wins) would have answered the ping; nothing reached it.
    expect(harness.received().map((call) => call.name)).toEqual(['read_file']);
  });

  test('a batch is refused whole (MCP 2025-06-18 removed batches): no tool call in it is run or forwarded', async () => {
    const harness = start();
    harness.toProxy.write(`${INITIALIZE}\n${INITIALIZED}\n`);
    await harness.nextLine(isAnswer(0));
    harness.toProxy.write(
      '[{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/x"}}}]\n',
    );
    const refused = JSON.parse(await harness.nextLine(isAnswer(null))) as { error: { code: number } };
    expect(refused.error.code).toBe(-32600);
    harness.toProxy.write(`${READ}\n`);
    await harness.nextLine(isAnswer(7));
    expect(harness.lines.some(isAnswer(3))).toBe(false);
    expect(harness.received()).toEqual([{ name: 'read_file', args: { path: '/etc/motd' } }]);
  });
});

test('readCalls of a missing log is empty', () => {
  expect(readCalls(fixtureLog())).toEqual([]);
});
