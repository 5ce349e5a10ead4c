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

/** Starts the server, reads the sign-in link it prints, and initializes an MCP session. */
async function started(): Promise<{ child: Child; url: string; link: string }> {
  const child = startChild(FIXTURE);
  const [, link, url] = await child.stderrMatch(
    /approve in your browser: ((http:\/\/127\.0\.0\.1:\d+)\/inbox\/dev-sign-in\?code=\S+)\n/,
  );
  child.process.stdin.write(`${INITIALIZE}\n`);
  await child.nextLine(answerTo(0));
  child.process.stdin.write(`${INITIALIZED}\n`);
  return { child, url: url!, link: link! };
}

/** What a browser does with the link: follows it once and keeps the session cookie it sets. */
async function signIn(link: string): Promise<string> {
  const response = await fetch(link, { redirect: 'manual' });
  expect(response.status).toBe(303);
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** The request's page, as the inbox lists it once the call is pending. */
async function pendingRequestPage(url: string, cookie: string): Promise<string> {
  let page: string | undefined;
  await vi.waitFor(
    async () => {
      const inbox = await (await fetch(`${url}/inbox`, { headers: { cookie } })).text();
      page = /\/inbox\/requests\/req_[a-z0-9]+/.exec(inbox)?.[0];
      expect(page).toBeDefined();
    },
    { timeout: 30_000, interval: 50 },
  );
  return `${url}${page!}`;
}

/** Presses Approve: the page's form, with its CSRF token, from the page's origin. */
async function approve(url: string, page: string, cookie: string): Promise<Response> {
  const html = await (await fetch(page, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  expect(csrf).toBeDefined();
  return fetch(`${page}/decide`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, origin: url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: csrf!, outcome: 'approve' }),
  });
}

describe('a stdio MCP server guarded in-process by startDevServer, approved in its inbox after a one-click sign-in', () => {
  test('a person signs in with the printed link and approves in the inbox, the call runs, and closing stdin ends the process', async () => {
    const { child, url, link } = await started();
    const cookie = await signIn(link);
    child.process.stdin.write(`${EXPORT}\n`);
    const page = await pendingRequestPage(url, cookie);
    const decided = await approve(url, page, cookie);
    expect(decided.status).toBe(303);
    expect(decided.headers.get('location')).toContain('notice=approved');
    expect(JSON.parse(await child.nextLine(answerTo(1)))).toMatchObject({
      result: { content: [{ type: 'text', text: 'exported payroll' }] },
    });
    child.process.stdin.end();
    expect(await child.exited).toBe(0);
  });

  test('the process exits when the client closes stdin while a call waits for approval', async () => {
    const { child, url, link } = await started();
    const cookie = await signIn(link);
    child.process.stdin.write(`${EXPORT}\n`);
    await pendingRequestPage(url, cookie);
    child.process.stdin.end();
    expect(await child.exited).toBe(0);
    // The inbox went with it.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
