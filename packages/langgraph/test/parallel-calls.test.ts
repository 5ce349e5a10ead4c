import { createCountersign, type PolicyRule } from '@countersign/core';
import { createRecordingTransport } from '@countersign/core/testing';
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
  Send,
  START,
  StateGraph,
} from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { guardTool, isApprovalInterrupt } from '../src/index.js';

const POLICY: PolicyRule[] = [
  {
    id: 'exports',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: ['user:bob'] },
  },
];
const THREAD = { configurable: { thread_id: 'parallel' } };
const TWO_CALLS = new AIMessage({
  content: '',
  tool_calls: [
    { id: 'call_a', name: 'db__export', args: { table: 'a' }, type: 'tool_call' },
    { id: 'call_b', name: 'db__export', args: { table: 'b' }, type: 'tool_call' },
  ],
});
// An invoke result: the graph's state, with `INTERRUPT` while it is paused (`isInterrupted` tells).
type Result = typeof MessagesAnnotation.State;

function setup(routing: 'one-node' | 'send-per-call') {
  const cs = createCountersign({
    store: createMemoryStore(),
    transports: [createRecordingTransport()],
    policy: POLICY,
    directory: { 'user:bob': {} },
  });
  const requests = new Map<string, string>();
  cs.on('requested', ({ request }) => {
    if (request) requests.set(String(request.action.params.table), request.id);
  });
  const ran: string[] = [];
  const exportTool = tool(
    async ({ table }: { table: string }) => {
      ran.push(table);
      return `exported ${table}`;
    },
    { name: 'db__export', description: 'Export a table', schema: z.object({ table: z.string() }) },
  );
  const tools = new ToolNode([guardTool(cs, exportTool, { actor: 'agent:bot' })]);
  const builder = new StateGraph(MessagesAnnotation).addNode('tools', tools).addEdge('tools', END);
  const graph = (
    routing === 'one-node'
      ? builder.addEdge(START, 'tools')
      : builder.addConditionalEdges(
          START,
          (state) =>
            (state.messages.at(-1) as AIMessage).tool_calls!.map(
              (call) => new Send('tools', { ...state, lg_tool_call: call }),
            ),
          ['tools'],
        )
  ).compile({ checkpointer: new MemorySaver() });
  const approve = (table: string) =>
    cs.decide(requests.get(table)!, { approver: 'user:bob', outcome: 'approve' });
  return { graph, ran, approve, requests };
}

const toolOutputs = (result: Result) =>
  result.messages.filter((message) => message instanceof ToolMessage).map((message) => message.content);
const pendingCalls = (result: Result) =>
  (isInterrupted(result) ? result[INTERRUPT] : [])
    .map((entry) => entry.value)
    .filter(isApprovalInterrupt)
    .map((v) => v.toolCallId);

describe('two guarded calls in one AI message', () => {
  test('in one node: each runs at most once; the first one approved loses its output on the re-run', async () => {
    const { graph, ran, approve, requests } = setup('one-node');
    const first = await graph.invoke({ messages: [TWO_CALLS] }, THREAD);
    expect(pendingCalls(first).length).toBeGreaterThan(0);
    expect([...requests.keys()].sort()).toEqual(['a', 'b']);
    await approve('a');
    const second = await graph.invoke(new Command({ resume: 'go' }), THREAD);
    expect(pendingCalls(second)).toEqual(['call_b']);
    expect(ran).toEqual(['a']);
    await approve('b');
    const third = await graph.invoke(new Command({ resume: 'go' }), THREAD);
    expect(ran).toEqual(['a', 'b']);
    expect(toolOutputs(third)).toEqual([
      'This approval was already used: an approved action runs at most once. Do not retry it. (code: already_started)',
      'exported b',
    ]);
  });

  test('sent to the ToolNode one call per task: each runs once and keeps its output', async () => {
    const { graph, ran, approve } = setup('send-per-call');
    const first = await graph.invoke({ messages: [TWO_CALLS] }, THREAD);
    expect(pendingCalls(first).sort()).toEqual(['call_a', 'call_b']);
    await approve('a');
    const second = await graph.invoke(new Command({ resume: 'go' }), THREAD);
    expect(pendingCalls(second)).toEqual(['call_b']);
    await approve('b');
    const third = await graph.invoke(new Command({ resume: 'go' }), THREAD);
    expect(ran).toEqual(['a', 'b']);
    expect(toolOutputs(third)).toEqual(['exported a', 'exported b']);
  });
});
