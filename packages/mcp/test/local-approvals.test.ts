import { afterEach, describe, expect, test, vi } from 'vitest';
import { type Child, killChildren, startChild } from './child-lines.js';

// Each test starts the fixture through tsx, which compiles it, the MCP SDK and @countersign/http.
vi.setConfig({ testTimeout: 120_000 });
afterEach(killChildren);

const FIXTURE = 'test/fixtures/local-approvals-server.ts';
const INITIALIZE =
  '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}';
const INITIALIZED = '{"jsonrpc":"2.0","method":"notifications/initialized"}';
const EXPORT =
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"db__export","arguments":{"table":"payroll"}}}';

const answerTo = (id: number) => (line: string) => (JSON.parse(line) as { id?: unknown }).id === id;

/** Starts the server, reads the inbox URL and the sign-in token it prints, and initializes an MCP session. */
async function started(): Promise<{ child: Child; url: string; token: string }> {
  const child = startChild(FIXTURE);
  const [, url, token] = await child.stderrMatch(/approve at (\S+)\/inbox with the token (\S+)\n/);
  child.process.stdin.write(`${INITIALIZE}\n`);
  await child.nextLine(answerTo(0));
  child.process.stdin.write(`${INITIALIZED}\n`);
  return { child, url: url!, token: token! };
}

async function pendingRequest(url: string, token: string): Promise<string> {
  const headers = { authorization: `Bearer ${token}` };
  let id: string | undefined;
  await vi.waitFor(
    async () => {
      const listed = (await (await fetch(`${url}/requests`, { headers })).json()) as {
        items: { id: string }[];
      };
      id = listed.items[0]?.id;
      expect(id).toBeDefined();
    },
    { timeout: 30_000, interval: 50 },
  );
  return id!;
}

describe('a stdio MCP server guarded in-process, approved in its own local inbox', () => {
  test('a person approves with the development token, the call runs, and closing stdin ends the process', async () => {
    const { child, url, token } = await started();
    child.process.stdin.write(`${EXPORT}\n`);
    const id = await pendingRequest(url, token);
    const decided = await fetch(`${url}/requests/${id}/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'approve', requestId: id }),
    });
    expect(decided.status).toBe(200);
    expect(JSON.parse(await child.nextLine(answerTo(1)))).toMatchObject({
      result: { content: [{ type: 'text', text: 'exported payroll' }] },
    });
    child.process.stdin.end();
    expect(await child.exited).toBe(0);
  });

  test('the process exits when the client closes stdin while a call waits for approval', async () => {
    const { child, url, token } = await started();
    child.process.stdin.write(`${EXPORT}\n`);
    await pendingRequest(url, token);
    child.process.stdin.end();
    expect(await child.exited).toBe(0);
    // The inbox went with it.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
