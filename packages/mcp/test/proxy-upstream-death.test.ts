import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { fixtureLog, type ProxyHarness, startProxyHarness } from './proxy-harness.js';

const FRAGILE = fileURLToPath(new URL('./fixtures/fragile-server.mjs', import.meta.url));
const INITIALIZE =
  '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}';
const INITIALIZED = '{"jsonrpc":"2.0","method":"notifications/initialized"}';
const call = (id: number, name: string) =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":{"path":"/x"}}}\n`;

const running: ProxyHarness[] = [];
afterEach(async () => {
  for (const harness of running.splice(0)) {
    await harness.proxy.close();
    await harness.cs.close();
  }
});

async function started(env: Record<string, string> = {}): Promise<ProxyHarness> {
  const harness = startProxyHarness({
    upstream: { command: process.execPath, args: [FRAGILE], env: { FIXTURE_LOG: fixtureLog(), ...env } },
  });
  running.push(harness);
  harness.toProxy.write(`${INITIALIZE}\n${INITIALIZED}\n`);
  await harness.nextLine(isAnswer(0));
  return harness;
}

type Answer = { id?: unknown; error?: { code: number; message: string } };
const isAnswer = (id: number) => (line: string) => (JSON.parse(line) as Answer).id === id;
const errorOf = (line: string) => (JSON.parse(line) as Answer).error;

/** The server's pid, once it announces that it received `what` (it announces `started` at once). */
async function announced(harness: ProxyHarness, what: string): Promise<number> {
  const line = await harness.nextLine((text) => text.includes(`"received":"${what}"`));
  return (JSON.parse(line) as { params: { data: { pid: number } } }).params.data.pid;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const GONE = {
  code: -32603,
  message: '[countersign-mcp-proxy] the MCP server exited before answering',
};

describe('the server dies mid-call', () => {
  test('an allowed call is answered with an error and recorded failed, never executed', async () => {
    const harness = await started();
    harness.toProxy.write(call(7, 'read_file'));
    process.kill(await announced(harness, 'read_file'), 'SIGKILL');
    expect(errorOf(await harness.nextLine(isAnswer(7)))).toEqual(GONE);
    // Killed by a signal: no exit code, which the bin turns into 1.
    expect(await harness.proxy.done).toBeNull();
    // `done` waits for the outcome to be recorded.
    const types = (await harness.cs.audit.entries()).map((entry) => entry.type);
    expect(types).toContain('failed');
    expect(types).not.toContain('executed');
  });

  test('an approved call sent to the server is recorded failed on its request', async () => {
    const harness = await started();
    const requested = harness.nextRequest();
    harness.toProxy.write(call(8, 'delete_repo'));
    const id = await requested;
    await harness.cs.decide(id, { approver: 'user:bob', outcome: 'approve' });
    process.kill(await announced(harness, 'delete_repo'), 'SIGKILL');
    expect(errorOf(await harness.nextLine(isAnswer(8)))).toEqual(GONE);
    await harness.proxy.done;
    expect((await harness.cs.getRequest(id))?.status).toBe('failed');
  });

  test('a call still waiting for approval and a relayed request are answered, and the request cancelled', async () => {
    const harness = await started();
    const pid = await announced(harness, 'started');
    const requested = harness.nextRequest();
    harness.toProxy.write(call(9, 'delete_repo'));
    const id = await requested;
    harness.toProxy.write(
      '{"jsonrpc":"2.0","id":10,"method":"resources/read","params":{"uri":"file:///x"}}\n',
    );
    await announced(harness, 'resources/read');
    process.kill(pid, 'SIGKILL');
    expect(errorOf(await harness.nextLine(isAnswer(9)))).toEqual(GONE);
    expect(errorOf(await harness.nextLine(isAnswer(10)))).toEqual(GONE);
    await harness.proxy.done;
    expect((await harness.cs.getRequest(id))?.status).toBe('cancelled');
  });

  test('a server that exits 0 while requests are unanswered still makes the proxy report failure', async () => {
    const harness = await started();
    harness.toProxy.write(
      '{"jsonrpc":"2.0","id":11,"method":"resources/read","params":{"uri":"file:///x"}}\n',
    );
    await announced(harness, 'resources/read');
    harness.toProxy.write('{"jsonrpc":"2.0","method":"fixture/exit"}\n');
    expect(errorOf(await harness.nextLine(isAnswer(11)))).toEqual(GONE);
    expect(await harness.proxy.done).toBe(1);
  });
});

describe('stopping', () => {
  test('close() answers what is in flight, and ends a server that ignores its closed input and SIGTERM', async () => {
    const harness = await started({ FIXTURE_STUBBORN: '1' });
    const pid = await announced(harness, 'started');
    harness.toProxy.write(call(12, 'read_file'));
    await announced(harness, 'read_file');
    await harness.proxy.close();
    expect(errorOf(await harness.nextLine(isAnswer(12)))).toEqual({
      code: -32603,
      message: '[countersign-mcp-proxy] the proxy is stopping',
    });
    expect(await harness.proxy.done).toBe(0);
    expect(alive(pid)).toBe(false);
    expect((await harness.cs.audit.entries()).map((entry) => entry.type)).toContain('failed');
  });
});
