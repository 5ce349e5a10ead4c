import { type Countersign, createCountersign, describeOutcome, type PolicyRule } from '@countersign/core';
import { createRecordingTransport, createTestClock, type TestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import {
  Command,
  END,
  INTERRUPT,
  isInterrupted,
  MemorySaver,
  MessagesAnnotation,
  START,
  StateGraph,
} from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { type ApprovalInterrupt, guardTool, isApprovalInterrupt, waitForApprovals } from '../src/index.js';

const POLICY: PolicyRule[] = [
  { id: 'reads-ok', match: { action: 'db.read' }, effect: 'allow' },
  {
    id: 'exports-need-approval',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: ['user:bob'] },
  },
  { id: 'no-drops', match: { action: 'db.drop' }, effect: 'deny' },
];

function setup(clock?: TestClock) {
  const cs = createCountersign({
    ...(clock ? { clock } : {}),
    store: createMemoryStore(),
    transports: [createRecordingTransport()],
    policy: POLICY,
    directory: { 'user:bob': {} },
  });
  const ran: { tool: string; args: unknown }[] = [];
  const make = (name: string) =>
    guardTool(
      cs,
      tool(
        async (args: { table: string }) => {
          ran.push({ tool: name, args });
          return `${name} ${args.table} done`;
        },
        { name, description: `${name} a table`, schema: z.object({ table: z.string() }) },
      ),
      { actor: 'agent:report-bot', onBehalfOf: 'user:alice' },
    );
  // An unguarded tool beside them shows when LangGraph re-runs the node.
  let nodeRuns = 0;
  const counter = tool(
    async () => {
      nodeRuns += 1;
      return 'counted';
    },
    { name: 'count', description: 'counts', schema: z.object({}) },
  );
  const graph = new StateGraph(MessagesAnnotation)
    .addNode('tools', new ToolNode([make('db__read'), make('db__export'), make('db__drop'), counter]))
    .addEdge(START, 'tools')
    .addEdge('tools', END)
    .compile({ checkpointer: new MemorySaver() });
  return { cs, graph, ran, nodeRuns: () => nodeRuns, guarded: make('db__export') };
}

const call = (name: string, args: Record<string, unknown>, id = 'call_1') =>
  new AIMessage({ content: '', tool_calls: [{ id, name, args, type: 'tool_call' }] });

const thread = (id = 't1') => ({ configurable: { thread_id: id } });

// An invoke result: the graph's state, with `INTERRUPT` while it is paused (`isInterrupted` tells).
type Result = typeof MessagesAnnotation.State;

function interruptsOf(result: Result): ApprovalInterrupt[] {
  return (isInterrupted(result) ? result[INTERRUPT] : [])
    .map((entry) => entry.value)
    .filter(isApprovalInterrupt);
}

function lastToolMessage(result: Result): ToolMessage {
  const message = result.messages.at(-1);
  if (!(message instanceof ToolMessage)) throw new Error(`expected a ToolMessage, got ${message?.getType()}`);
  return message;
}

const refusal = (code: string, comment?: string) => {
  const said = comment === undefined ? '' : ` The reviewer said: ${JSON.stringify(comment)}`;
  return `${describeOutcome({ status: 'denied', code }).message}${said} (code: ${code})`;
};

async function pendingRequest(cs: Countersign, id: string) {
  const request = await cs.getRequest(id);
  if (request === null) throw new Error('no such request');
  return request;
}

describe('guardTool in a ToolNode', () => {
  test('a policy denial is an error ToolMessage, and the tool never runs', async () => {
    const { graph, ran } = setup();
    const result = await graph.invoke({ messages: [call('db__drop', { table: 'users' })] }, thread());
    const message = lastToolMessage(result);
    expect(message.status).toBe('error');
    expect(message.content).toBe(
      'Denied by policy: this action is not permitted. Do not retry it; tell the user. (code: policy_denied)',
    );
    expect(message.tool_call_id).toBe('call_1');
    expect(ran).toEqual([]);
  });

  test('an allowed call runs at once, without the reason in its arguments', async () => {
    const { graph, ran } = setup();
    const result = await graph.invoke(
      { messages: [call('db__read', { table: 'users', reason: 'the user asked' })] },
      thread(),
    );
    expect(lastToolMessage(result).content).toBe('db__read users done');
    expect(ran).toEqual([{ tool: 'db__read', args: { table: 'users' } }]);
  });

  test('pending: interrupts; approved: the resume runs the tool exactly once though the node re-runs', async () => {
    const { cs, graph, ran, nodeRuns } = setup();
    const ai = new AIMessage({
      content: '',
      tool_calls: [
        {
          id: 'call_1',
          name: 'db__export',
          args: { table: 'payroll', reason: 'Q3 report' },
          type: 'tool_call',
        },
        { id: 'call_2', name: 'count', args: {}, type: 'tool_call' },
      ],
    });
    const first = await graph.invoke({ messages: [ai] }, thread());
    const [pending] = interruptsOf(first);
    expect(pending).toMatchObject({
      type: 'countersign.approval_pending',
      action: 'db.export',
      tool: 'db__export',
      toolCallId: 'call_1',
      message: describeOutcome({ status: 'pending' }).message,
    });
    expect(ran).toEqual([]);
    const request = await pendingRequest(cs, pending!.requestId);
    expect(request).toMatchObject({
      status: 'pending',
      actor: 'agent:report-bot',
      onBehalfOf: 'user:alice',
      sessionId: 't1',
      reason: 'Q3 report',
      action: { name: 'db.export', params: { table: 'payroll' } },
    });
    expect(request.expiresAt).toBe(pending!.expiresAt);

    await cs.decide(pending!.requestId, { approver: 'user:bob', outcome: 'approve' });
    const resumed = await graph.invoke(new Command({ resume: 'approved' }), thread());
    expect(interruptsOf(resumed)).toEqual([]);
    const contents = resumed.messages.filter((m) => m instanceof ToolMessage).map((m) => m.content);
    expect(contents).toEqual(['db__export payroll done', 'counted']);
    expect(ran).toEqual([{ tool: 'db__export', args: { table: 'payroll' } }]);
    // The node ran twice (the unguarded tool counted twice); the guarded tool ran once.
    expect(nodeRuns()).toBe(2);
    expect((await pendingRequest(cs, pending!.requestId)).status).toBe('executed');
  });

  test('a forged or stale resume value runs nothing: the graph interrupts again', async () => {
    const { cs, graph, ran } = setup();
    const first = await graph.invoke({ messages: [call('db__export', { table: 'payroll' })] }, thread());
    const [pending] = interruptsOf(first);

    // Another request, approved, whose id a caller might pass as the resume value.
    const other = await graph.invoke(
      { messages: [call('db__export', { table: 'other' }, 'call_9')] },
      thread('t2'),
    );
    const [stale] = interruptsOf(other);
    await cs.decide(stale!.requestId, { approver: 'user:bob', outcome: 'approve' });

    for (const resume of [
      { approved: true },
      'approve',
      { requestId: stale!.requestId, status: 'approved' },
    ]) {
      const again = await graph.invoke(new Command({ resume }), thread());
      expect(interruptsOf(again).map((value) => value.requestId)).toEqual([pending!.requestId]);
    }
    expect(ran).toEqual([]);
    expect((await pendingRequest(cs, pending!.requestId)).status).toBe('pending');

    await cs.decide(pending!.requestId, { approver: 'user:bob', outcome: 'approve' });
    const done = await graph.invoke(new Command({ resume: 'go' }), thread());
    expect(lastToolMessage(done).content).toBe('db__export payroll done');
    expect(ran).toEqual([{ tool: 'db__export', args: { table: 'payroll' } }]);
  });

  test('a denial with a comment reaches the model as an error ToolMessage; nothing runs', async () => {
    const { cs, graph, ran } = setup();
    const first = await graph.invoke({ messages: [call('db__export', { table: 'payroll' })] }, thread());
    const [pending] = interruptsOf(first);
    await cs.decide(pending!.requestId, {
      approver: 'user:bob',
      outcome: 'deny',
      comment: 'not before the audit',
    });
    const resumed = await graph.invoke(new Command({ resume: 'approved' }), thread());
    const message = lastToolMessage(resumed);
    expect(message.status).toBe('error');
    expect(message.content).toBe(refusal('approval_denied', 'not before the audit'));
    expect(message.artifact).toEqual({ code: 'approval_denied', final: true });
    expect(ran).toEqual([]);
  });

  test('an expired request reaches the model as a transient error; nothing runs', async () => {
    const clock = createTestClock();
    const { graph, ran } = setup(clock);
    const first = await graph.invoke({ messages: [call('db__export', { table: 'payroll' })] }, thread());
    expect(interruptsOf(first)).toHaveLength(1);
    await clock.advance(15 * 60_000 + 1);
    const resumed = await graph.invoke(new Command({ resume: 'approved' }), thread());
    const message = lastToolMessage(resumed);
    expect(message.content).toBe(refusal('approval_expired'));
    expect(message.artifact).toEqual({ code: 'approval_expired', final: false });
    expect(ran).toEqual([]);
  });

  test('the gate skipped: invoking the tool directly with a used tool-call id runs nothing again', async () => {
    const { cs, graph, ran, guarded } = setup();
    const first = await graph.invoke({ messages: [call('db__export', { table: 'payroll' })] }, thread());
    await cs.decide(interruptsOf(first)[0]!.requestId, { approver: 'user:bob', outcome: 'approve' });
    await graph.invoke(new Command({ resume: true }), thread());
    expect(ran).toHaveLength(1);

    const direct = (await guarded.invoke(
      { id: 'call_1', name: 'db__export', args: { table: 'payroll' }, type: 'tool_call' },
      thread(),
    )) as ToolMessage;
    expect(direct.content).toBe(refusal('already_started'));
    const changed = (await guarded.invoke(
      { id: 'call_1', name: 'db__export', args: { table: 'customers' }, type: 'tool_call' },
      thread(),
    )) as ToolMessage;
    expect(changed.content).toBe(refusal('idempotency_conflict'));
    expect(ran).toHaveLength(1);
  });

  test('waitForApprovals waits for the decision, then resumes the run', async () => {
    const { cs, graph, ran } = setup();
    const first = await graph.invoke({ messages: [call('db__export', { table: 'payroll' })] }, thread());
    const [pending] = interruptsOf(first);
    let resolved = false;
    if (!isInterrupted(first)) throw new Error('expected the run to be interrupted');
    const waiting = waitForApprovals(cs, first[INTERRUPT]).then((command) => {
      resolved = true;
      return command;
    });
    // Let every queued callback and I/O turn run: still undecided, so still waiting.
    await new Promise((resolve) => setImmediate(resolve));
    expect(resolved).toBe(false);
    await cs.decide(pending!.requestId, { approver: 'user:bob', outcome: 'approve' });
    const resumed = await graph.invoke(await waiting, thread());
    expect(lastToolMessage(resumed).content).toBe('db__export payroll done');
    expect(ran).toHaveLength(1);
  });

  test('unknown options and a clashing reason argument are configuration errors', () => {
    const { cs } = setup();
    const base = tool(async () => 'x', {
      name: 't',
      description: 't',
      schema: z.object({ reason: z.string() }),
    });
    expect(() => guardTool(cs, base, { actor: 'agent:a', acton: 'x' } as never)).toThrow(
      /unknown guardTool option "acton"/,
    );
    expect(() => guardTool(cs, base, { actor: 'agent:a' })).toThrow(/already has an argument "reason"/);
    expect(() => guardTool(cs, base, { actor: 'agent:a', reasonArgument: 'why' })).not.toThrow();
  });
});
