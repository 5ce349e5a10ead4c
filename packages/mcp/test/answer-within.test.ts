import { isCountersignError } from '@countersign/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, test } from 'vitest';
import { guardServer, OUTCOME_META_KEY, parseProxyConfig } from '../src/index.js';
import { connect } from './guarded-server-harness.js';
import { createHarness, refusalText } from './helpers.js';
import { type ProxyHarness, startProxyHarness } from './proxy-harness.js';

const PENDING = refusalText('approval_pending').replace(
  ' (code:',
  ' Call the tool again with the same arguments to wait for the decision. (code:',
);
const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;
/** Far longer than `answerWithinMs` in these tests: the answer must come from countersign, not the client's timeout. */
const CLIENT_TIMEOUT = { timeout: 15_000 };

describe('guardServer: a call still waiting is answered before the client gives up', () => {
  test("the client reads countersign's pending text, and the same call made again runs once approved", async () => {
    const { client, cs, ran, requested } = await connect({ actor: 'agent:bot', answerWithinMs: 100 });
    const first = await client.callTool(
      { name: 'db__export', arguments: { table: 'payroll' } },
      undefined,
      CLIENT_TIMEOUT,
    );
    expect(first).toEqual({
      content: [{ type: 'text', text: PENDING }],
      isError: true,
      _meta: { [OUTCOME_META_KEY]: { code: 'approval_pending', final: false } },
    });
    const [id] = requested;
    expect((await cs.getRequest(id!))?.status).toBe('pending');
    await cs.decide(id!, { approver: 'user:bob', outcome: 'approve' });

    const again = await client.callTool({ name: 'db__export', arguments: { table: 'payroll' } });
    expect(textOf(again)).toBe('db__export payroll done');
    expect(ran).toEqual([{ tool: 'db__export', args: { table: 'payroll' } }]);
    expect(requested).toEqual([id]);
    expect((await cs.getRequest(id!))?.status).toBe('executed');
    // Resumed once: the next identical call is a new call, with its own request.
    void client.callTool({ name: 'db__export', arguments: { table: 'payroll' } });
    await expect.poll(() => requested.length).toBe(2);
  });

  test('the same call made again while still pending waits on the same request, and gets its decision', async () => {
    const { client, cs, ran, requested } = await connect({ actor: 'agent:bot', answerWithinMs: 100 });
    const call = () => client.callTool({ name: 'db__export', arguments: { table: 'payroll' } });
    expect(textOf(await call())).toBe(PENDING);
    expect(textOf(await call())).toBe(PENDING);
    expect(requested).toHaveLength(1);
    await cs.decide(requested[0]!, { approver: 'user:bob', outcome: 'deny', comment: 'no' });
    expect(textOf(await call())).toBe(refusalText('approval_denied', 'no'));
    expect(requested).toHaveLength(1);
    expect(ran).toEqual([]);
  });

  test('a call with other arguments is not resumed by a parked one', async () => {
    const { client, requested } = await connect({ actor: 'agent:bot', answerWithinMs: 100 });
    expect(textOf(await client.callTool({ name: 'db__export', arguments: { table: 'payroll' } }))).toBe(
      PENDING,
    );
    expect(textOf(await client.callTool({ name: 'db__export', arguments: { table: 'users' } }))).toBe(
      PENDING,
    );
    expect(requested).toHaveLength(2);
  });

  test("the client's cancellation still cancels the request", async () => {
    const { sendRaw, clientTransport, cs, nextRequest } = await connect({ actor: 'agent:bot' });
    const call = sendRaw(1000, 'db__export', { table: 'payroll' });
    const id = await nextRequest();
    await clientTransport.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 1000, reason: 'user stopped it' },
    });
    await cs.waitForDecision(id);
    expect((await cs.getRequest(id))?.status).toBe('cancelled');
    void call;
  });

  test('answerWithinMs must be false or at least 100 ms', () => {
    const { cs } = createHarness();
    const server = new McpServer({ name: 'x', version: '1' });
    let error: unknown;
    try {
      guardServer(server, cs, { actor: 'agent:bot', answerWithinMs: 5 });
    } catch (caught) {
      error = caught;
    }
    expect(isCountersignError(error, 'invalid_config')).toBe(true);
    expect(() => guardServer(server, cs, { actor: 'agent:bot', answerWithinMs: false })).not.toThrow();
    expect(() =>
      parseProxyConfig({
        server: { name: 's', command: 'x' },
        actor: 'agent:a',
        policy: [],
        answerWithinMs: 0,
      }),
    ).toThrow(/answerWithinMs/);
  });
});

const running: ProxyHarness[] = [];
afterEach(async () => {
  for (const harness of running.splice(0)) {
    await harness.proxy.close();
    await harness.cs.close();
  }
});

describe('the proxy answers a waiting call before the client gives up', () => {
  test('pending at the deadline, then the same call with a new id runs once approved', async () => {
    const harness = startProxyHarness({ answerWithinMs: 100 });
    running.push(harness);
    const client = await harness.client();
    const first = (await client.callTool(
      { name: 'delete_repo', arguments: { repo: 'acme/site' } },
      undefined,
      CLIENT_TIMEOUT,
    )) as CallToolResult;
    expect(textOf(first)).toBe(PENDING);
    expect(harness.received()).toEqual([]);
    await harness.cs.decide(harness.requested[0]!, { approver: 'user:bob', outcome: 'approve' });
    const again = await client.callTool({ name: 'delete_repo', arguments: { repo: 'acme/site' } });
    expect(textOf(again)).toBe('deleted acme/site');
    expect(harness.received()).toEqual([{ name: 'delete_repo', args: { repo: 'acme/site' } }]);
    expect(harness.requested).toHaveLength(1);
  });
});
