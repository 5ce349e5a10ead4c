// Tool names, the reason argument, options, and what a guarded execute passes to the tool.
import { asSchema, tool } from 'ai';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { actionNameFor, countersignTools, ToolCallRefusedError, toolNameFor } from '../src/index.js';
import { ACTOR, SESSION, setup } from './helpers.js';

describe('tool names', () => {
  test('actions that cannot map back losslessly are refused with the action named', () => {
    for (const action of [
      'db..export',
      'db._export',
      'db.export_',
      'db__export',
      'db export',
      'a'.repeat(65),
      '',
    ]) {
      expect(() => toolNameFor(action)).toThrow(/action ".*" has no reversible tool name/);
    }
  });

  test('tool names not made by toolNameFor are refused', () => {
    for (const name of ['db___export', '_db', 'db__', 'db.export']) {
      expect(() => actionNameFor(name)).toThrow(`tool name "${name}" was not made by toolNameFor()`);
    }
  });

  test('dots become double underscores and back', () => {
    for (const action of ['db.export', 'iam.role_grant', 'crm.v2.contacts-sync', 'deploy']) {
      expect(actionNameFor(toolNameFor(action))).toBe(action);
    }
    expect(toolNameFor('crm.v2.contacts-sync')).toBe('crm__v2__contacts-sync');
  });
});

describe('the reason argument', () => {
  test('a reason that is not a string within 2,000 characters fails validation', async () => {
    const { tools } = setup();
    const schema = asSchema(tools.db__export.inputSchema);
    for (const reason of [42, 'x'.repeat(2001), ['why']]) {
      const result = await schema.validate?.({ table: 'customers', reason });
      expect(result?.success).toBe(false);
    }
  });

  test('the model sees an optional reason; the original schema still validates the rest', async () => {
    const { tools } = setup();
    const schema = asSchema(tools.db__export.inputSchema);
    const json = await schema.jsonSchema;
    expect(json.properties?.reason).toMatchObject({ type: 'string', maxLength: 2000 });
    expect(json.required).toEqual(['table']);
    expect((await schema.validate?.({ table: 7 }))?.success).toBe(false);
    expect(await schema.validate?.({ table: 'customers', reason: 'Q3' })).toEqual({
      success: true,
      value: { table: 'customers', reason: 'Q3' },
    });
  });

  test("the reason goes to approvers and stays out of the approved params and the tool's input", async () => {
    const s = setup();
    await s.tools.db__export
      .execute(
        { table: 'customers', reason: 'Alice asked' },
        { toolCallId: 'c1', messages: [], context: undefined },
      )
      .catch(() => {});
    const request = s.transport.delivered[0]!;
    expect(request.reason).toBe('Alice asked');
    expect(request.action.params).toEqual({ table: 'customers' });
  });

  test('without a reason from the model, approvers see the default reason', async () => {
    const s = setup();
    await s.tools.db__export
      .execute({ table: 'customers' }, { toolCallId: 'c1', messages: [], context: undefined })
      .catch(() => {});
    expect(s.transport.delivered[0]!.reason).toBe('The model gave no reason for this call.');
  });

  test('a tool whose input already has "reason" is refused unless reasonArgument is false', async () => {
    const { cs } = setup();
    const definition = tool({
      inputSchema: z.object({ reason: z.string() }),
      execute: async () => 'ok',
    });
    const guarded = countersignTools(cs, { actor: ACTOR, sessionId: SESSION }).tool('db.read', definition);
    await expect(Promise.resolve(asSchema(guarded.inputSchema).jsonSchema)).rejects.toThrow(
      'already has a "reason" property',
    );
    const plain = countersignTools(cs, { actor: ACTOR, sessionId: SESSION, reasonArgument: false }).tool(
      'db.read',
      definition,
    );
    expect((await asSchema(plain.inputSchema).jsonSchema).properties).toEqual({ reason: { type: 'string' } });
  });
});

describe('options', () => {
  test('unknown or malformed options are errors naming the key', () => {
    const { cs } = setup();
    expect(() => countersignTools(cs, { actor: ACTOR, sessionId: SESSION, sesionId: 'x' } as never)).toThrow(
      'unknown countersignTools() option "sesionId"',
    );
    expect(() => countersignTools(cs, { actor: ACTOR } as never)).toThrow('option "sessionId" must be');
    expect(() => countersignTools(cs, { actor: ACTOR, sessionId: SESSION, wait: 'yes' } as never)).toThrow(
      'option "wait" must be a boolean',
    );
    const guard = countersignTools(cs, { actor: ACTOR, sessionId: SESSION });
    const definition = tool({ inputSchema: z.object({}), execute: async () => 'ok' });
    expect(() => guard.tool('db.read', definition, { resorce: 'x' } as never)).toThrow(
      'unknown tool("db.read") option "resorce"',
    );
    expect(() => guard.tool('db.read', { inputSchema: z.object({}) } as never)).toThrow(
      'needs a definition with an execute',
    );
  });

  test('tools the binding did not guard are denied by toolApproval unless unguardedTools is "allow"', async () => {
    const { cs, tools } = setup();
    const other = tool({ inputSchema: z.object({}), execute: async () => 'ok' });
    const toolCall = { toolName: 'calculator', toolCallId: 'c1', input: {} };
    const strict = countersignTools(cs, { actor: ACTOR, sessionId: SESSION });
    expect(await strict.toolApproval({ toolCall, tools: { ...tools, calculator: other } })).toEqual({
      type: 'denied',
      reason: 'The tool "calculator" is not available.',
    });
    // Another binding's guarded tool is not this binding's either.
    expect(
      await strict.toolApproval({ toolCall: { ...toolCall, toolName: 'db__read' }, tools }),
    ).toMatchObject({
      type: 'denied',
    });
    const lenient = countersignTools(cs, { actor: ACTOR, sessionId: SESSION, unguardedTools: 'allow' });
    expect(await lenient.toolApproval({ toolCall, tools: { calculator: other } })).toBe('not-applicable');
  });

  test('toolApproval fails closed when countersign throws: bad input to the policy check denies', async () => {
    const { cs } = setup();
    const guard = countersignTools(cs, { actor: ACTOR, sessionId: SESSION });
    const read = guard.tool('db.read', tool({ inputSchema: z.object({}), execute: async () => 'ok' }), {
      resource: () => 'x'.repeat(300),
    });
    expect(
      await guard.toolApproval({
        toolCall: { toolName: 'r', toolCallId: 'c1', input: {} },
        tools: { r: read },
      }),
    ).toEqual({
      type: 'denied',
      reason: 'The call was rejected because its arguments are invalid; it did not run.',
    });
  });
});

describe('guarded execute', () => {
  test("the tool gets the grant's signal, which the caller's abort signal aborts", async () => {
    const { cs } = setup();
    const guard = countersignTools(cs, { actor: ACTOR, sessionId: SESSION });
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const read = guard.tool(
      'db.read',
      tool({
        inputSchema: z.object({}),
        execute: async (_input, options) => {
          seen = options.abortSignal;
          controller.abort();
          return seen?.aborted;
        },
      }),
    );
    const aborted = await read.execute(
      {},
      { toolCallId: 'c1', messages: [], context: {}, abortSignal: controller.signal },
    );
    expect(seen).not.toBe(controller.signal);
    expect(aborted).toBe(true);
  });

  test('a streaming execute is drained while the grant is live and its last value returned', async () => {
    const { cs } = setup();
    const guard = countersignTools(cs, { actor: ACTOR, sessionId: SESSION });
    const read = guard.tool(
      'db.read',
      tool({
        inputSchema: z.object({}),
        async *execute() {
          yield 'loading';
          yield 'done';
        },
      }),
    );
    expect(await read.execute({}, { toolCallId: 'c1', messages: [], context: {} })).toBe('done');
  });

  test('with wait: true, execute blocks until a person decides, then runs the call once', async () => {
    const s = setup();
    const guard = countersignTools(s.cs, { actor: ACTOR, sessionId: SESSION, wait: true });
    let runs = 0;
    const exportTool = guard.tool(
      'db.export',
      tool({
        inputSchema: z.object({ table: z.string() }),
        execute: async ({ table }) => {
          runs += 1;
          return `${table}.csv`;
        },
      }),
    );
    const result = exportTool.execute(
      { table: 'customers' },
      { toolCallId: 'c1', messages: [], context: {} },
    );
    const request = await s.transport.nextDelivery();
    expect(runs).toBe(0);
    await s.cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect(await result).toBe('customers.csv');
    expect(runs).toBe(1);
  });

  test('toolApproval denies, as invalid arguments, a call whose resource function throws', async () => {
    const { cs } = setup();
    const guard = countersignTools(cs, { actor: ACTOR, sessionId: SESSION });
    const read = guard.tool('db.read', tool({ inputSchema: z.object({}), execute: async () => 'ok' }), {
      resource: () => {
        throw new Error('no such tenant');
      },
    });
    expect(
      await guard.toolApproval({
        toolCall: { toolName: 'r', toolCallId: 'c1', input: {} },
        tools: { r: read },
      }),
    ).toEqual({
      type: 'denied',
      reason: 'The call was rejected because its arguments are invalid; it did not run.',
    });
  });

  test("execute refuses, without the function's message, a call whose resource function throws", async () => {
    const { cs } = setup();
    const guard = countersignTools(cs, { actor: ACTOR, sessionId: SESSION });
    const read = guard.tool('db.read', tool({ inputSchema: z.object({}), execute: async () => 'ok' }), {
      resource: () => {
        throw new Error('tenant db-7 password=hunter2');
      },
    });
    const outcome = await read.execute({}, { toolCallId: 'c1', messages: [], context: {} }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(ToolCallRefusedError);
    expect(String(outcome)).toBe('The call was rejected because its arguments are invalid; it did not run.');
  });
});
