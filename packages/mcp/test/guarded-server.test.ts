import { isCountersignError } from '@countersign/core';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { guardServer, OUTCOME_META_KEY } from '../src/index.js';
import { connect } from './guarded-server-harness.js';
import { createHarness, refusalText } from './helpers.js';

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

describe('guardServer: refusals', () => {
  test('a policy denial is an isError result with the code, and the handler never runs', async () => {
    const { client, ran, requested } = await connect();
    const result = await client.callTool({ name: 'db__drop', arguments: { table: 'customers' } });
    expect(result).toEqual({
      content: [
        {
          type: 'text',
          text: 'Denied by policy: this action is not permitted. Do not retry it; tell the user. (code: policy_denied)',
        },
      ],
      isError: true,
      _meta: { [OUTCOME_META_KEY]: { code: 'policy_denied', final: true } },
    });
    expect(ran).toEqual([]);
    expect(requested).toEqual([]);
  });

  test('a person denying with a comment: the model sees the comment, the handler never runs', async () => {
    const { client, cs, ran, nextRequest } = await connect();
    const call = client.callTool({ name: 'db__export', arguments: { table: 'payroll' } });
    const id = await nextRequest();
    await cs.decide(id, { approver: 'user:bob', outcome: 'deny', comment: 'not during the audit' });
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(refusalText('approval_denied', 'not during the audit'));
    expect(result._meta).toEqual({ [OUTCOME_META_KEY]: { code: 'approval_denied', final: true } });
    expect(ran).toEqual([]);
  });

  test('an expired request is a transient isError result, and the handler never runs', async () => {
    const { client, clock, ran, nextRequest } = await connect({ actor: 'agent:bot' }, { clock: true });
    const call = client.callTool({ name: 'db__export', arguments: { table: 'payroll' } });
    await nextRequest();
    await clock!.advance(10 * 60_000 + 1);
    const result = await call;
    expect(textOf(result)).toBe(refusalText('approval_expired'));
    expect(result._meta).toEqual({ [OUTCOME_META_KEY]: { code: 'approval_expired', final: false } });
    expect(ran).toEqual([]);
  });

  test('without authInfo or an actor option, guarded tools refuse to run', async () => {
    const { client, ran } = await connect({});
    const result = await client.callTool({ name: 'db__read', arguments: { table: 'customers' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'This server cannot tell who is calling, so it refuses guarded tools. (code: invalid_input)',
    );
    expect(ran).toEqual([]);
  });
});

describe('guardServer: allowed and approved calls', () => {
  test('an allowed call runs the handler with its arguments, without the reason', async () => {
    const { client, ran } = await connect();
    const result = await client.callTool({
      name: 'db__read',
      arguments: { table: 'customers', reason: 'the user asked' },
    });
    expect(result).toEqual({ content: [{ type: 'text', text: 'db__read customers done' }] });
    expect(ran).toEqual([{ tool: 'db__read', args: { table: 'customers' } }]);
  });

  test('an approved call waits with progress notifications, then runs once', async () => {
    const { client, cs, ran, nextRequest } = await connect();
    const progress: Progress[] = [];
    const requestId = nextRequest();
    let sawProgress!: () => void;
    const firstProgress = new Promise<void>((resolve) => {
      sawProgress = resolve;
    });
    const call = client.callTool(
      { name: 'db__export', arguments: { table: 'payroll', reason: 'quarterly report' } },
      undefined,
      {
        onprogress: (update) => {
          progress.push(update);
          sawProgress();
        },
        resetTimeoutOnProgress: true,
      },
    );
    const id = await requestId;
    await firstProgress;
    expect(ran).toEqual([]);
    const request = await cs.getRequest(id);
    // The reason is shown to approvers but is not part of the fingerprinted params.
    expect(request).toMatchObject({
      status: 'pending',
      actor: 'agent:bot',
      reason: 'quarterly report',
      action: { name: 'db.export', params: { table: 'payroll' } },
    });
    await cs.decide(id, { approver: 'user:bob', outcome: 'approve' });
    expect(await call).toEqual({ content: [{ type: 'text', text: 'db__export payroll done' }] });
    expect(ran).toEqual([{ tool: 'db__export', args: { table: 'payroll' } }]);
    expect(progress[0]).toEqual({
      progress: 1,
      message: `Waiting for a person to approve this call (until ${new Date(request!.expiresAt).toISOString()}).`,
    });
    expect((await cs.getRequest(id))?.status).toBe('executed');
  });

  test('progress repeats while the request waits, always increasing, and stops once decided', async () => {
    const { client, cs, nextRequest } = await connect({ actor: 'agent:bot', progressIntervalMs: 100 });
    const progress: number[] = [];
    let secondProgress!: () => void;
    const twice = new Promise<void>((resolve) => {
      secondProgress = resolve;
    });
    const requestId = nextRequest();
    const call = client.callTool({ name: 'db__export', arguments: { table: 'payroll' } }, undefined, {
      onprogress: (update) => {
        progress.push(update.progress);
        if (progress.length === 2) secondProgress();
      },
    });
    await twice;
    await cs.decide(await requestId, { approver: 'user:bob', outcome: 'approve' });
    await call;
    expect(progress.slice(0, 2)).toEqual([1, 2]);
    const seen = progress.length;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(progress).toHaveLength(seen);
  });

  test('actor comes from authInfo, session from the transport', async () => {
    const authInfo: AuthInfo = { token: 'secret-token', clientId: 'claude', scopes: [] };
    const { client, cs, nextRequest } = await connect({}, { authInfo });
    const call = client.callTool({ name: 'db__export', arguments: { table: 'payroll' } });
    const id = await nextRequest();
    const request = await cs.getRequest(id);
    expect(request).toMatchObject({ actor: 'mcp-client:claude', reason: 'MCP tool call "db__export"' });
    expect(request!.sessionId).toMatch(/^mcp-server:/);
    expect(JSON.stringify(request)).not.toContain('secret-token');
    await cs.decide(id, { approver: 'user:bob', outcome: 'approve' });
    expect((await call).isError).toBeUndefined();
  });
});

describe('guardServer: identities from functions', () => {
  test('actor, onBehalfOf and sessionId may be read from the request', async () => {
    const { client, cs, nextRequest } = await connect({
      actor: (extra) => `agent:via-${typeof extra.requestId}`,
      onBehalfOf: () => 'user:alice',
      sessionId: () => 'conversation-7',
    });
    const call = client.callTool({ name: 'db__export', arguments: { table: 'payroll' } });
    const id = await nextRequest();
    expect(await cs.getRequest(id)).toMatchObject({
      actor: 'agent:via-number',
      onBehalfOf: 'user:alice',
      sessionId: 'conversation-7',
    });
    // The person the agent acts for cannot approve it.
    await expect(cs.decide(id, { approver: 'user:alice', outcome: 'approve' })).rejects.toMatchObject({
      code: 'self_approval',
    });
    await cs.decide(id, { approver: 'user:bob', outcome: 'deny' });
    expect((await call).isError).toBe(true);
  });
});

describe('guardServer: bypass attempts', () => {
  test('the same tool-call id reused after it ran runs nothing again', async () => {
    const { sendRaw, cs, ran, nextRequest } = await connect();
    const first = sendRaw(1000, 'db__export', { table: 'payroll' });
    await cs.decide(await nextRequest(), { approver: 'user:bob', outcome: 'approve' });
    expect(textOf(await first)).toBe('db__export payroll done');

    const again = await sendRaw(1000, 'db__export', { table: 'payroll' });
    expect(textOf(again)).toBe(refusalText('already_started'));
    const changed = await sendRaw(1000, 'db__export', { table: 'customers' });
    expect(textOf(changed)).toBe(refusalText('idempotency_conflict'));
    expect(ran).toEqual([{ tool: 'db__export', args: { table: 'payroll' } }]);
  });

  test('arguments changed after approval: the approval does not cover them', async () => {
    const { sendRaw, clientTransport, cs, ran, nextRequest } = await connect({
      actor: 'agent:bot',
      onAbort: 'detach',
    });
    // The client gives up waiting; the request stays pending and is approved later.
    const first = sendRaw(1000, 'db__export', { table: 'payroll' });
    const id = await nextRequest();
    await clientTransport.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 1000, reason: 'timeout' },
    });
    await cs.decide(id, { approver: 'user:bob', outcome: 'approve' });
    expect((await cs.getRequest(id))?.status).toBe('approved');

    // Re-sent under the same id with other arguments: refused, nothing runs, the approval stays unused.
    const changed = await sendRaw(1000, 'db__export', { table: 'customers' });
    expect(textOf(changed)).toBe(refusalText('idempotency_conflict'));
    expect(ran).toEqual([]);
    expect((await cs.getRequest(id))?.status).toBe('approved');
    // A new call with the other arguments is a new request, not covered by the approval.
    const other = sendRaw(1001, 'db__export', { table: 'customers' });
    const otherId = await nextRequest();
    expect(otherId).not.toBe(id);
    expect(ran).toEqual([]);
    await cs.decide(otherId, { approver: 'user:bob', outcome: 'deny' });
    expect(textOf(await other)).toBe(refusalText('approval_denied'));
    void first;
  });
});

describe('guardServer: configuration', () => {
  test('unknown option keys and a clashing reason argument are errors naming them', () => {
    const { cs } = createHarness();
    const server = new McpServer({ name: 'x', version: '1' });
    expect(() => guardServer(server, cs, { actor: 'agent:bot', progresInterval: 5 } as never)).toThrow(
      /unknown key\(s\) "progresInterval"/,
    );
    const guarded = guardServer(server, cs, { actor: 'agent:bot' });
    let error: unknown;
    try {
      guarded.registerTool('t', { inputSchema: { reason: z.string() } }, async () => ({ content: [] }));
    } catch (caught) {
      error = caught;
    }
    expect(isCountersignError(error, 'invalid_config')).toBe(true);
    expect(String(error)).toMatch(/already has an argument "reason"/);
    expect(() => guarded.registerTool('u', { acton: 'x' } as never, async () => ({ content: [] }))).toThrow(
      /unknown key\(s\) "acton"/,
    );
  });
});
