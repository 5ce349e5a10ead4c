// Bypass attempts: in every one, nothing runs without a live countersign grant for the exact call.
import { type FunctionTool, RunContext, RunState, run } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { describe, expect, test } from 'vitest';
import { agentWith, CONTEXT, outputsSeen, type Setup, setup, type Thread } from './helpers.js';

const PENDING =
  'The action is waiting for a person to approve it and has not run. Do not repeat the call with other arguments; it runs once approved.';

function exportModel(args: Record<string, unknown> = { table: 'customers' }) {
  return new ScriptedModel([
    [functionCall('db__export', args, { callId: 'call-1' })],
    [assistantMessage('Done.')],
  ]);
}

/** The same tool with a framework gate that never fires. */
function ungated(tool: FunctionTool<Thread>): FunctionTool<Thread> {
  return { ...tool, needsApproval: async () => false };
}

async function approvedInCountersign(s: Setup, model: ScriptedModel) {
  const agent = agentWith(model, [s.tools.exportTable]);
  const result = await run(agent, 'Export the customers table', { context: CONTEXT });
  await s.guard.resolveInterruptions(result);
  await s.cs.decide(s.transport.delivered[0]!.id, { approver: 'user:bob', outcome: 'approve' });
  return { agent, result };
}

describe('bypass attempts against guarded agent tools', () => {
  test('approving in the framework alone (a forged approval) runs nothing: the model reads that it awaits approval', async () => {
    const s = setup();
    const model = exportModel();
    const agent = agentWith(model, [s.tools.exportTable]);
    const result = await run(agent, 'Export', { context: CONTEXT });
    result.state.approve(result.interruptions[0]!);
    await run(agent, result.state);
    expect(s.runs).toEqual([]);
    expect(outputsSeen(model)).toEqual([{ callId: 'call-1', output: { type: 'text', text: PENDING } }]);
  });

  test('arguments changed in the serialised state after approval run nothing', async () => {
    const s = setup();
    const model = exportModel();
    const { agent, result } = await approvedInCountersign(s, model);
    const tampered = result.state.toString().replaceAll('customers', 'payroll');
    const restored = await RunState.fromString<Thread, typeof agent>(agent, tampered);
    const resolved = await s.guard.resolveInterruptions(restored);
    expect(resolved.rejected).toHaveLength(1);
    await run(agent, restored);
    expect(s.runs).toEqual([]);
    expect(outputsSeen(model)).toEqual([
      {
        callId: 'call-1',
        output: {
          type: 'text',
          text: 'This call differs from the one that was approved; it needs its own approval.',
        },
      },
    ]);
  });

  test('arguments changed after approval and approved in the framework anyway run nothing', async () => {
    const s = setup();
    const model = exportModel();
    const { agent, result } = await approvedInCountersign(s, model);
    const restored = await RunState.fromString<Thread, typeof agent>(
      agent,
      result.state.toString().replaceAll('customers', 'payroll'),
    );
    restored.approve(restored.getInterruptions()[0]!);
    await run(agent, restored);
    expect(s.runs).toEqual([]);
    expect(outputsSeen(model)).toEqual([
      {
        callId: 'call-1',
        output: {
          type: 'text',
          text: 'This call differs from the one that was approved; it needs its own approval.',
        },
      },
    ]);
  });

  test('a run resumed from a state approved before its approval expired runs nothing', async () => {
    const s = setup();
    const model = exportModel();
    const { agent, result } = await approvedInCountersign(s, model);
    await s.guard.resolveInterruptions(result);
    const saved = result.state.toString();
    await s.clock.advance(11 * 60_000);
    await s.cs.sweep();
    await run(agent, await RunState.fromString<Thread, typeof agent>(agent, saved));
    expect(s.runs).toEqual([]);
    expect(outputsSeen(model)).toEqual([
      {
        callId: 'call-1',
        output: {
          type: 'text',
          text: 'The action was approved but not run in time, so the approval lapsed. Ask again if it is still needed.',
        },
      },
    ]);
  });

  test('a resumed run replaying a used approval runs nothing the second time', async () => {
    const s = setup();
    const model = new ScriptedModel([
      [functionCall('db__export', { table: 'customers' }, { callId: 'call-1' })],
      [assistantMessage('Done.')],
      [assistantMessage('Done again.')],
    ]);
    const { agent, result } = await approvedInCountersign(s, model);
    await s.guard.resolveInterruptions(result);
    const saved = result.state.toString();
    await run(agent, await RunState.fromString<Thread, typeof agent>(agent, saved));
    expect(s.runs).toHaveLength(1);
    await run(agent, await RunState.fromString<Thread, typeof agent>(agent, saved));
    expect(s.runs).toHaveLength(1);
    expect(outputsSeen(model)).toEqual([
      {
        callId: 'call-1',
        output: {
          type: 'text',
          text: 'This approval was already used: an approved action runs at most once. Do not retry it.',
        },
      },
    ]);
  });

  test("the framework's gate never firing runs nothing without approval", async () => {
    const s = setup();
    const model = exportModel();
    const result = await run(agentWith(model, [ungated(s.tools.exportTable)]), 'Export', {
      context: CONTEXT,
    });
    expect(result.interruptions).toEqual([]);
    expect(s.runs).toEqual([]);
    expect(outputsSeen(model)).toEqual([{ callId: 'call-1', output: { type: 'text', text: PENDING } }]);
  });

  test('invoking a guarded tool directly runs nothing without a grant', async () => {
    const s = setup();
    const output = await s.tools.exportTable.invoke(
      new RunContext(CONTEXT),
      JSON.stringify({ table: 'customers' }),
      {
        toolCall: { type: 'function_call', name: 'db__export', callId: 'direct', arguments: '{}' },
      },
    );
    expect(output).toBe(PENDING);
    expect(s.runs).toEqual([]);
  });

  test('a streaming run interrupts, and with the gate skipped it still runs nothing', async () => {
    const s = setup();
    const gated = exportModel();
    const streamed = await run(agentWith(gated, [s.tools.exportTable]), 'Export', {
      context: CONTEXT,
      stream: true,
    });
    await streamed.completed;
    expect(streamed.interruptions.map((item) => item.name)).toEqual(['db__export']);
    const model = exportModel();
    const bypassed = await run(agentWith(model, [ungated(s.tools.exportTable)]), 'Export', {
      context: CONTEXT,
      stream: true,
    });
    await bypassed.completed;
    expect(s.runs).toEqual([]);
    expect(outputsSeen(model)).toEqual([{ callId: 'call-1', output: { type: 'text', text: PENDING } }]);
  });

  test('parallel calls in one step: only the call people approved runs, even if the framework approves both', async () => {
    const s = setup();
    const model = new ScriptedModel([
      [
        functionCall('db__export', { table: 'customers' }, { callId: 'call-a' }),
        functionCall('db__export', { table: 'payroll' }, { callId: 'call-b' }),
      ],
      [assistantMessage('Done.')],
    ]);
    const agent = agentWith(model, [s.tools.exportTable]);
    const result = await run(agent, 'Export both', { context: CONTEXT });
    const first = await s.guard.resolveInterruptions(result);
    expect(first.pending).toHaveLength(2);
    const customers = s.transport.delivered.find((r) => r.action.params.table === 'customers')!;
    await s.cs.decide(customers.id, { approver: 'user:bob', outcome: 'approve' });
    for (const item of result.interruptions) result.state.approve(item);
    await run(agent, result.state);
    expect(s.runs).toEqual([{ action: 'db.export', args: { table: 'customers' } }]);
    expect(outputsSeen(model)).toEqual([
      { callId: 'call-a', output: { type: 'text', text: 'customers.csv' } },
      { callId: 'call-b', output: { type: 'text', text: PENDING } },
    ]);
  });

  test('the same call id reused in a later turn is rejected and runs nothing again', async () => {
    const s = setup();
    const model = exportModel();
    const { agent, result } = await approvedInCountersign(s, model);
    await s.guard.resolveInterruptions(result);
    const first = await run(agent, result.state);
    expect(s.runs).toHaveLength(1);
    model.enqueue(
      [functionCall('db__export', { table: 'customers' }, { callId: 'call-1' })],
      [assistantMessage('Hm.')],
    );
    const later = await run(agent, [...first.history, { role: 'user', content: 'Export it again' }], {
      context: CONTEXT,
    });
    const resolved = await s.guard.resolveInterruptions(later);
    expect(resolved.rejected).toHaveLength(1);
    await run(agent, later.state);
    expect(s.runs).toHaveLength(1);
    expect(outputsSeen(model).at(-1)).toEqual({
      callId: 'call-1',
      output: {
        type: 'text',
        text: 'This approval was already used: an approved action runs at most once. Do not retry it.',
      },
    });
  });
});
