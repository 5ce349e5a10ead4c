// Tool names, the reason argument, options, needsApproval, the error function and what execute receives.
import { RunContext, run } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  actionNameFor,
  countersignAgentTools,
  countersignErrorFunction,
  GENERIC_TOOL_ERROR,
  toolNameFor,
} from '../src/index.js';
import { agentWith, CONTEXT, setup, type Thread } from './helpers.js';

const details = (callId: string) => ({
  toolCall: { type: 'function_call' as const, name: 'x', callId, arguments: '{}' },
});

describe('tool names', () => {
  test('actions that cannot map back losslessly are refused', () => {
    for (const action of ['db..export', 'db._export', 'db__export', 'db export', '']) {
      expect(() => toolNameFor(action)).toThrow('has no reversible tool name');
    }
    expect(() => actionNameFor('db___export')).toThrow('was not made by toolNameFor()');
  });

  test('the default tool name is the mapped action; an explicit name wins', () => {
    const { cs } = setup();
    const guard = countersignAgentTools(cs, { actor: 'agent:a', sessionId: 's1' });
    const parameters = z.object({});
    expect(guard.tool({ action: 'crm.v2.sync', description: 'd', parameters, execute: () => 1 }).name).toBe(
      'crm__v2__sync',
    );
    expect(
      guard.tool({
        action: 'crm.v2.sync',
        name: 'syncContacts',
        description: 'd',
        parameters,
        execute: () => 1,
      }).name,
    ).toBe('syncContacts');
    expect(actionNameFor('crm__v2__sync')).toBe('crm.v2.sync');
  });
});

describe('the reason argument', () => {
  test('a reason that is not a string within 2,000 characters is invalid input, and nothing runs', async () => {
    const s = setup();
    for (const reason of [42, 'x'.repeat(2001)]) {
      const output = await s.tools.read.invoke(
        new RunContext(CONTEXT),
        JSON.stringify({ table: 'o', reason }),
        details('c'),
      );
      expect(output).toBe(GENERIC_TOOL_ERROR);
    }
    expect(s.runs).toEqual([]);
  });

  test('the model sees an optional reason; approvers see it; params and execute never do', async () => {
    const s = setup();
    expect(s.tools.exportTable.parameters.properties).toMatchObject({
      table: { type: 'string' },
      // Strict mode: optional becomes nullable and required; the SDK drops the null again.
      reason: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }] },
    });
    const output = await s.tools.read.invoke(
      new RunContext(CONTEXT),
      JSON.stringify({ table: 'orders', reason: 'Counting' }),
      details('c1'),
    );
    expect(output).toEqual({ rows: 3 });
    expect(s.runs).toEqual([{ action: 'db.read', args: { table: 'orders' } }]);
    const entries = await s.cs.audit.entries();
    expect(entries.find((e) => e.type === 'allowed')).toMatchObject({ reason: 'Counting' });
  });

  test('plain JSON Schema parameters gain the reason too; a schema that has one is refused', () => {
    const { cs } = setup();
    const guard = countersignAgentTools(cs, { actor: 'agent:a', sessionId: 's1' });
    const json = guard.tool({
      action: 'db.read',
      description: 'd',
      parameters: {
        type: 'object',
        properties: { table: { type: 'string' } },
        required: ['table'],
        additionalProperties: false,
      },
      execute: () => 1,
    });
    expect(Object.keys(json.parameters.properties)).toEqual(['table', 'reason']);
    expect(() =>
      guard.tool({
        action: 'db.read',
        description: 'd',
        parameters: { type: 'object', properties: { reason: { type: 'string' } } },
        execute: () => 1,
      }),
    ).toThrow('already have a "reason" property');
  });
});

describe('options', () => {
  test('unknown or malformed options are errors naming the key', () => {
    const { cs } = setup();
    expect(() => countersignAgentTools(cs, { actor: 'agent:a', sessionId: 's', sesion: 1 } as never)).toThrow(
      'unknown countersignAgentTools() option "sesion"',
    );
    expect(() => countersignAgentTools(cs, { actor: 'agent:a' } as never)).toThrow('"sessionId" must be');
    const guard = countersignAgentTools(cs, { actor: 'agent:a', sessionId: 's' });
    expect(() =>
      guard.tool({
        action: 'db.read',
        description: 'd',
        parameters: z.object({}),
        execute: () => 1,
        needsApproval: true,
      } as never),
    ).toThrow('unknown tool() option "needsApproval"');
  });

  test('a session read from the run context fails closed when there is none', async () => {
    const s = setup();
    const output = await s.tools.read.invoke(
      undefined as never,
      JSON.stringify({ table: 'o' }),
      details('c'),
    );
    expect(output).toBe(GENERIC_TOOL_ERROR);
    expect(s.runs).toEqual([]);
  });
});

describe('needsApproval and the error function', () => {
  test('needsApproval is true exactly when the policy requires approval', async () => {
    const s = setup();
    const ctx = new RunContext(CONTEXT);
    expect(await s.tools.exportTable.needsApproval(ctx, { table: 'x' } as never, 'c')).toBe(true);
    expect(await s.tools.read.needsApproval(ctx, { table: 'x' } as never, 'c')).toBe(false);
    expect(await s.tools.grantRole.needsApproval(ctx, { user: 'u', role: 'r' } as never, 'c')).toBe(false);
  });

  test("the tool's own errors never reach the model unless a fallback says so", async () => {
    const { cs } = setup();
    const guard = countersignAgentTools<Thread>(cs, { actor: 'agent:a', sessionId: 's' });
    const failing = (errorFunction?: () => string) =>
      guard.tool({
        action: 'db.read',
        description: 'd',
        parameters: z.object({}),
        execute: () => {
          throw new Error('password=hunter2 at db-7');
        },
        errorFunction,
      });
    const ctx = new RunContext(CONTEXT);
    expect(await failing().invoke(ctx, '{}', details('c1'))).toBe(GENERIC_TOOL_ERROR);
    expect(await failing(() => 'The database is down.').invoke(ctx, '{}', details('c2'))).toBe(
      'The database is down.',
    );
    expect(await countersignErrorFunction()(ctx, new Error('x'))).toBe(GENERIC_TOOL_ERROR);
  });

  test("execute gets the grant and the grant's signal, which the run's abort signal aborts", async () => {
    const { cs } = setup();
    const guard = countersignAgentTools<Thread>(cs, { actor: 'agent:a', sessionId: 's' });
    const controller = new AbortController();
    const probe = guard.tool({
      action: 'db.read',
      description: 'd',
      parameters: z.object({}),
      execute: (_args, _ctx, { callId, grant, signal }) => {
        controller.abort();
        return { callId, same: signal === grant.signal, aborted: signal.aborted };
      },
    });
    const output = await probe.invoke(new RunContext(CONTEXT), '{}', {
      ...details('c9'),
      signal: controller.signal,
    });
    expect(output).toEqual({ callId: 'c9', same: true, aborted: true });
  });

  test('an interruption of a tool these options did not guard is left to the caller', async () => {
    const s = setup();
    const other = countersignAgentTools<Thread>(s.cs, { actor: 'agent:other', sessionId: 's' });
    const model = new ScriptedModel([
      [functionCall('db__export', { table: 'x' }, { callId: 'c1' })],
      [assistantMessage('.')],
    ]);
    const exportTool = other.tool({
      action: 'db.export',
      description: 'd',
      parameters: z.object({ table: z.string() }),
      execute: () => 1,
    });
    const result = await run(agentWith(model, [exportTool]), 'go', { context: CONTEXT });
    const resolved = await s.guard.resolveInterruptions(result);
    expect(resolved.unhandled).toHaveLength(1);
    expect(s.transport.delivered).toEqual([]);
  });

  test('resolveInterruptions binds the arguments as the SDK parses them (strict-mode nulls dropped), so the approved call runs', async () => {
    const s = setup();
    const runs: unknown[] = [];
    const exportTool = s.guard.tool({
      action: 'db.export',
      description: 'd',
      parameters: z.object({ table: z.string(), limit: z.number().optional() }),
      execute: (args) => {
        runs.push(args);
        return 'ok';
      },
    });
    const model = new ScriptedModel([
      [functionCall('db__export', { table: 'customers', limit: null, reason: null }, { callId: 'c1' })],
      [assistantMessage('.')],
    ]);
    const agent = agentWith(model, [exportTool]);
    const result = await run(agent, 'go', { context: CONTEXT });
    await s.guard.resolveInterruptions(result);
    expect(s.transport.delivered[0]!.action.params).toEqual({ table: 'customers' });
    await s.cs.decide(s.transport.delivered[0]!.id, { approver: 'user:bob', outcome: 'approve' });
    expect((await s.guard.resolveInterruptions(result)).approved).toHaveLength(1);
    await run(agent, result.state);
    expect(runs).toEqual([{ table: 'customers' }]);
  });
});
