import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import type { ProxiedTool } from '../src/index.js';
import { refusalText } from './helpers.js';
import { fixtureLog, type ProxyHarness, startProxyHarness } from './proxy-harness.js';

const INITIALIZE =
  '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}';
const INITIALIZED = '{"jsonrpc":"2.0","method":"notifications/initialized"}';
const READ =
  '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/etc/motd"}}}';
const FRAGILE = fileURLToPath(new URL('./fixtures/fragile-server.mjs', import.meta.url));

const running: ProxyHarness[] = [];
afterEach(async () => {
  for (const harness of running.splice(0)) {
    await harness.proxy.close();
    await harness.cs.close();
  }
});

async function started(options: Parameters<typeof startProxyHarness>[0] = {}): Promise<ProxyHarness> {
  const harness = startProxyHarness(options);
  running.push(harness);
  harness.toProxy.write(`${INITIALIZE}\n${INITIALIZED}\n`);
  await harness.nextLine(isAnswer(0));
  return harness;
}

type Answer = {
  id?: unknown;
  result?: { isError?: boolean; content?: { text: string }[]; tools?: unknown[] };
  error?: { code: number; message: string };
};
const answerOf = (line: string) => JSON.parse(line) as Answer;
const isAnswer = (id: number | null) => (line: string) => answerOf(line).id === id;
const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const line = (text: string | Buffer) => Buffer.concat([Buffer.from(text), Buffer.from('\n')]);

/** Resolves once the proxy has written `count` answers with id null, with all of them in order. */
async function nullAnswers(harness: ProxyHarness, count: number): Promise<Answer[]> {
  const all = () => harness.lines.filter(isAnswer(null));
  await harness.nextLine(() => all().length >= count);
  return all().map(answerOf);
}

describe('the proxy answers hostile client input with JSON-RPC errors and stays up', () => {
  test('each bad line gets its error, in order, and a normal call afterwards is answered', async () => {
    const harness = await started();
    const bad: (string | Buffer)[] = [
      deep(100_000),
      // The line that used to crash the proxy: a batch member JSON.stringify cannot serialise.
      `[{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":${deep(100_000)}}}]`,
      '[{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"read_file"}},1,null,{"__proto__":{}}]',
      Buffer.concat([
        Buffer.from('{"jsonrpc":"2.0","id":3,"method":"ping","params":{"x":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}}'),
      ]),
      '42',
      'null',
      '"tools/call"',
      '{"jsonrpc":"2.0","id":4,',
    ];
    for (const text of bad) harness.toProxy.write(line(text));
    const errors = (await nullAnswers(harness, bad.length)).map((answer) => answer.error);
    expect(errors.map((error) => error?.code)).toEqual([
      -32600, -32600, -32600, -32700, -32600, -32600, -32600, -32700,
    ]);
    expect(errors.map((error) => error?.message.replace('[countersign-mcp-proxy] ', ''))).toEqual([
      'the message nests deeper than 100 levels',
      'the message nests deeper than 100 levels',
      'batches are not supported: send one message per line',
      'the message is not valid UTF-8',
      'the message is not a JSON object',
      'the message is not a JSON object',
      'the message is not a JSON object',
      'the message is not JSON',
    ]);
    harness.toProxy.write(`${READ}\n`);
    expect(answerOf(await harness.nextLine(isAnswer(7))).result?.isError).toBeUndefined();
    expect(harness.received()).toEqual([{ name: 'read_file', args: { path: '/etc/motd' } }]);
  });

  test('a 10 MB call is checked and answered; a line over 16 MiB is refused unread', async () => {
    const harness = await started();
    const table = 'x'.repeat(10_000_000);
    harness.toProxy.write(
      line(
        `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"drop_table","arguments":{"table":"${table}"}}}`,
      ),
    );
    const denied = answerOf(await harness.nextLine(isAnswer(8)));
    // Core refuses arguments that large; what matters is that the call is answered, not dropped.
    expect(denied.result?.content?.[0]?.text).toBe(refusalText('invalid_input'));
    harness.toProxy.write(
      line(`{"jsonrpc":"2.0","id":9,"method":"ping","params":{"x":"${'y'.repeat(17 * 1024 * 1024)}"}}`),
    );
    const [oversize] = await nullAnswers(harness, 1);
    expect(oversize?.error).toEqual({
      code: -32600,
      message: '[countersign-mcp-proxy] the message is larger than 16 MiB',
    });
    harness.toProxy.write(`${READ}\n`);
    await harness.nextLine(isAnswer(7));
    expect(harness.lines.some(isAnswer(9))).toBe(false);
    expect(harness.received().map((call) => call.name)).toEqual(['read_file']);
  });

  test('a message whose handling throws is answered with an internal error, and the next one works', async () => {
    // Reading a tool's settings throws: the proxy must answer, never leave a rejection unhandled.
    const tools = new Proxy({} as Record<string, ProxiedTool>, {
      get(_target, name) {
        if (name === 'drop_table') throw new TypeError('settings exploded');
        return undefined;
      },
    });
    const harness = await started({ tools });
    harness.toProxy.write(
      line(
        '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"drop_table","arguments":{"table":"t"}}}',
      ),
    );
    expect(answerOf(await harness.nextLine(isAnswer(5))).error).toEqual({
      code: -32603,
      message: '[countersign-mcp-proxy] the call could not be handled',
    });
    harness.toProxy.write(`${READ}\n`);
    await harness.nextLine(isAnswer(7));
    expect(harness.received().map((call) => call.name)).toEqual(['read_file']);
  });

  test('a server message too deep to rework reaches the client as the server sent it', async () => {
    const harness = await started({
      upstream: {
        command: process.execPath,
        args: [FRAGILE],
        env: { FIXTURE_LOG: fixtureLog(), FIXTURE_DEEP_LIST: '1' },
      },
    });
    harness.toProxy.write(line('{"jsonrpc":"2.0","id":6,"method":"tools/list","params":{}}'));
    const listed = await harness.nextLine(isAnswer(6));
    expect(listed).toContain(deep(100_000));
    // Relayed unchanged: the reason argument could not be added to it.
    expect(listed).not.toContain('"reason"');
    harness.toProxy.write(line('{"jsonrpc":"2.0","id":10,"method":"ping"}'));
    expect(answerOf(await harness.nextLine(isAnswer(10))).result).toEqual({});
  });
});
