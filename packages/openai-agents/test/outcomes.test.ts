// What the model receives when a call is allowed, approved, denied with a comment, expires, or is denied by policy.
import { run } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { describe, expect, test } from 'vitest';
import { agentWith, CONTEXT, outputsSeen, type Setup, setup, type Thread } from './helpers.js';

async function interruptedExport(s: Setup) {
  const model = new ScriptedModel([
    [functionCall('db__export', { table: 'customers', reason: 'Q3 report' }, { callId: 'call-1' })],
    [assistantMessage('Done.')],
  ]);
  const agent = agentWith(model, [s.tools.exportTable]);
  const result = await run(agent, 'Export the customers table', { context: CONTEXT });
  return { model, agent, result };
}

describe('guarded agent tools and resolveInterruptions', () => {
  test('a call denied by policy never runs, and the model is told not to retry', async () => {
    const s = setup();
    const model = new ScriptedModel([
      [functionCall('iam__grant', { user: 'agent', role: 'admin' }, { callId: 'call-1' })],
      [assistantMessage('I cannot.')],
    ]);
    const result = await run(agentWith(model, [s.tools.grantRole]), 'Make me admin', { context: CONTEXT });
    expect(result.interruptions).toEqual([]);
    expect(s.runs).toEqual([]);
    expect(outputsSeen(model)).toEqual([
      {
        callId: 'call-1',
        output: {
          type: 'text',
          text: 'Denied by policy: this action is not permitted. Do not retry it; tell the user.',
        },
      },
    ]);
  });

  test('a call that needs approval interrupts the run; resolving opens the request and runs nothing', async () => {
    const s = setup();
    const { result } = await interruptedExport(s);
    expect(result.interruptions.map((item) => item.name)).toEqual(['db__export']);
    const resolved = await s.guard.resolveInterruptions(result);
    expect(resolved.pending).toEqual([
      {
        item: result.interruptions[0],
        requestId: s.transport.delivered[0]!.id,
        expiresAt: expect.any(Number),
      },
    ]);
    const request = s.transport.delivered[0]!;
    expect(request).toMatchObject({ sessionId: 'thread_9', reason: 'Q3 report' });
    expect(request.action.params).toEqual({ table: 'customers' });
    expect(s.runs).toEqual([]);
  });

  test("an approval denied with a comment: state.reject with the approver's comment is what the model reads", async () => {
    const s = setup();
    const { model, agent, result } = await interruptedExport(s);
    await s.guard.resolveInterruptions(result);
    await s.cs.decide(s.transport.delivered[0]!.id, {
      approver: 'user:bob',
      outcome: 'deny',
      comment: 'Not during the audit freeze',
    });
    const resolved = await s.guard.resolveInterruptions(result);
    expect(resolved.rejected).toHaveLength(1);
    await run(agent, result.state);
    expect(s.runs).toEqual([]);
    expect(outputsSeen(model)).toEqual([
      {
        callId: 'call-1',
        output: {
          type: 'text',
          text: 'A person reviewed this action and denied it. Do not retry it; tell the user. The reviewer said: "Not during the audit freeze"',
        },
      },
    ]);
  });

  test('an expired request: the model reads that nobody approved in time', async () => {
    const s = setup();
    const { model, agent, result } = await interruptedExport(s);
    await s.guard.resolveInterruptions(result);
    await s.clock.advance(10 * 60_000 + 1);
    await s.cs.sweep();
    await s.guard.resolveInterruptions(result);
    await run(agent, result.state);
    expect(s.runs).toEqual([]);
    expect(outputsSeen(model)).toEqual([
      {
        callId: 'call-1',
        output: {
          type: 'text',
          text: 'Nobody approved this action in time, so it did not run. Ask again later only if it is still needed.',
        },
      },
    ]);
  });

  test('an approved request runs once with the exact arguments after resuming, even from a serialised state', async () => {
    const s = setup();
    const { model, agent, result } = await interruptedExport(s);
    await s.guard.resolveInterruptions(result);
    await s.cs.decide(s.transport.delivered[0]!.id, { approver: 'user:bob', outcome: 'approve' });
    const { RunState } = await import('@openai/agents');
    const restored = await RunState.fromString<Thread, typeof agent>(agent, result.state.toString());
    const resolved = await s.guard.resolveInterruptions(restored);
    expect(resolved.approved).toHaveLength(1);
    await run(agent, restored);
    expect(s.runs).toEqual([{ action: 'db.export', args: { table: 'customers' } }]);
    expect(outputsSeen(model)).toEqual([
      { callId: 'call-1', output: { type: 'text', text: 'customers.csv' } },
    ]);
    expect((await s.cs.getRequest(s.transport.delivered[0]!.id))?.status).toBe('executed');
  });

  test('an allowed call runs without an interruption', async () => {
    const s = setup();
    const model = new ScriptedModel([
      [functionCall('db__read', { table: 'orders' }, { callId: 'call-1' })],
      [assistantMessage('3 rows.')],
    ]);
    const result = await run(agentWith(model, [s.tools.read]), 'Count orders', { context: CONTEXT });
    expect(result.interruptions).toEqual([]);
    expect(s.runs).toEqual([{ action: 'db.read', args: { table: 'orders' } }]);
    expect(outputsSeen(model)).toEqual([{ callId: 'call-1', output: { type: 'text', text: '{"rows":3}' } }]);
  });

  test('resolveInterruptions with wait: true waits for the decision, then approves', async () => {
    const s = setup();
    const { model, agent, result } = await interruptedExport(s);
    const resolving = s.guard.resolveInterruptions(result, { wait: true });
    const request = await s.transport.nextDelivery();
    await s.cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    const resolved = await resolving;
    expect(resolved.approved).toHaveLength(1);
    expect(resolved.pending).toEqual([]);
    await run(agent, result.state);
    expect(s.runs).toEqual([{ action: 'db.export', args: { table: 'customers' } }]);
    expect(outputsSeen(model)).toEqual([
      { callId: 'call-1', output: { type: 'text', text: 'customers.csv' } },
    ]);
  });
});
