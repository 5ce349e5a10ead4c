// What the model receives when a call is allowed, approved, denied with a comment, expires, or is denied by policy.
import { generateText, type ModelMessage, stepCountIs, ToolLoopAgent } from 'ai';
import { describe, expect, test } from 'vitest';
import { call, onlyRequest, scriptedModel, setup, text, toolResultsIn } from './helpers.js';

const PROMPT: ModelMessage[] = [{ role: 'user', content: 'Export the customers table' }];

async function pausedExport() {
  const s = setup();
  const first = scriptedModel([[call('call-1', 'db__export', { table: 'customers', reason: 'Q3 report' })]]);
  const paused = await generateText({
    model: first,
    tools: s.tools,
    toolApproval: s.guard.toolApproval,
    messages: PROMPT,
    stopWhen: stepCountIs(5),
  });
  return { ...s, paused };
}

async function resume(s: Awaited<ReturnType<typeof pausedExport>>, responses: unknown[]) {
  const model = scriptedModel([[text('Done.')]]);
  const messages: ModelMessage[] = [
    ...PROMPT,
    ...s.paused.response.messages,
    { role: 'tool', content: responses as never },
  ];
  const result = await generateText({
    model,
    tools: s.tools,
    toolApproval: s.guard.toolApproval,
    messages,
    stopWhen: stepCountIs(5),
  });
  return { result, seen: toolResultsIn(model.doGenerateCalls[0]?.prompt) };
}

describe('toolApproval and guarded tools with generateText', () => {
  test('a call denied by policy never runs; the model reads the denial as execution-denied', async () => {
    const s = setup();
    const model = scriptedModel([
      [call('call-1', 'iam__grant', { user: 'agent', role: 'admin' })],
      [text('I cannot do that.')],
    ]);
    await generateText({
      model,
      tools: s.tools,
      toolApproval: s.guard.toolApproval,
      messages: PROMPT,
      stopWhen: stepCountIs(5),
    });
    expect(s.runs).toEqual([]);
    expect(toolResultsIn(model.doGenerateCalls[1]?.prompt)).toEqual([
      {
        toolCallId: 'call-1',
        toolName: 'iam__grant',
        output: {
          type: 'execution-denied',
          reason: 'Denied by policy: this action is not permitted. Do not retry it; tell the user.',
        },
      },
    ]);
    const types = (await s.cs.audit.entries()).map((entry) => entry.type);
    expect(types).toEqual(['policy_denied']);
  });

  test('a call that needs approval pauses the run with a request in countersign; nothing runs', async () => {
    const s = await pausedExport();
    expect(s.runs).toEqual([]);
    const request = s.transport.delivered[0]!;
    expect(request.action).toMatchObject({ name: 'db.export', params: { table: 'customers' } });
    expect(request.reason).toBe('Q3 report');
    expect(request.idempotencyKey).toContain('tool-call:call-1');
    const approvals = s.paused.content.filter((part) => part.type === 'tool-approval-request');
    expect(approvals).toHaveLength(1);
    expect(approvals[0]).toMatchObject({
      reason:
        'The action is waiting for a person to approve it and has not run. Do not repeat the call with other arguments; it runs once approved.',
    });
  });

  test('an approval denied with a comment: the model reads the denial and the comment, nothing runs', async () => {
    const s = await pausedExport();
    await s.cs.decide(onlyRequest(s.transport), {
      approver: 'user:bob',
      outcome: 'deny',
      comment: 'Not during the audit freeze',
    });
    const { responses, pending } = await s.guard.approvalResponses({
      content: s.paused.content,
      tools: s.tools,
    });
    expect(pending).toEqual([]);
    const { seen } = await resume(s, responses);
    expect(s.runs).toEqual([]);
    expect(seen).toEqual([
      {
        toolCallId: 'call-1',
        toolName: 'db__export',
        output: {
          type: 'execution-denied',
          reason:
            'A person reviewed this action and denied it. Do not retry it; tell the user. The reviewer said: "Not during the audit freeze"',
        },
      },
    ]);
  });

  test('an expired request: the model reads that nobody approved in time, nothing runs', async () => {
    const s = await pausedExport();
    await s.clock.advance(10 * 60_000 + 1);
    await s.cs.sweep();
    const { responses } = await s.guard.approvalResponses({ content: s.paused.content, tools: s.tools });
    const { seen } = await resume(s, responses);
    expect(s.runs).toEqual([]);
    expect(seen).toEqual([
      {
        toolCallId: 'call-1',
        toolName: 'db__export',
        output: {
          type: 'execution-denied',
          reason:
            'Nobody approved this action in time, so it did not run. Ask again later only if it is still needed.',
        },
      },
    ]);
  });

  test('an approved request runs once with the exact arguments; the model reads the tool output', async () => {
    const s = await pausedExport();
    await s.cs.decide(onlyRequest(s.transport), { approver: 'user:bob', outcome: 'approve' });
    const { responses } = await s.guard.approvalResponses({ content: s.paused.content, tools: s.tools });
    expect(responses).toEqual([
      { type: 'tool-approval-response', approvalId: expect.any(String), approved: true },
    ]);
    const { seen } = await resume(s, responses);
    expect(s.runs).toEqual([{ action: 'db.export', args: { table: 'customers' } }]);
    expect(seen).toEqual([
      {
        toolCallId: 'call-1',
        toolName: 'db__export',
        output: { type: 'json', value: { file: 'customers.csv' } },
      },
    ]);
    const request = await s.cs.getRequest(onlyRequest(s.transport));
    expect(request?.status).toBe('executed');
  });

  test('an allowed call runs at once and the model reads its output', async () => {
    const s = setup();
    const model = scriptedModel([[call('call-1', 'db__read', { table: 'orders' })], [text('3 rows.')]]);
    await generateText({
      model,
      tools: s.tools,
      toolApproval: s.guard.toolApproval,
      messages: PROMPT,
      stopWhen: stepCountIs(5),
    });
    expect(s.runs).toEqual([{ action: 'db.read', args: { table: 'orders' } }]);
    expect(toolResultsIn(model.doGenerateCalls[1]?.prompt)).toEqual([
      { toolCallId: 'call-1', toolName: 'db__read', output: { type: 'json', value: { rows: 3 } } },
    ]);
  });

  test('approvalResponses leaves undecided requests out and lists them as pending', async () => {
    const s = await pausedExport();
    const { responses, pending } = await s.guard.approvalResponses({
      content: s.paused.content,
      tools: s.tools,
    });
    expect(responses).toEqual([]);
    expect(pending).toEqual([
      {
        approvalId: expect.any(String),
        toolCallId: 'call-1',
        requestId: onlyRequest(s.transport),
        expiresAt: expect.any(Number),
      },
    ]);
  });

  test('a ToolLoopAgent with the same toolApproval pauses, and runs the export once approved', async () => {
    const s = setup();
    const model = scriptedModel([[call('call-1', 'db__export', { table: 'customers' })], [text('Done.')]]);
    const agent = new ToolLoopAgent({ model, tools: s.tools, toolApproval: s.guard.toolApproval });
    const paused = await agent.generate({ messages: PROMPT });
    expect(s.runs).toEqual([]);
    await s.cs.decide(onlyRequest(s.transport), { approver: 'user:bob', outcome: 'approve' });
    const { responses } = await s.guard.approvalResponses({ content: paused.content, tools: s.tools });
    await agent.generate({
      messages: [...PROMPT, ...paused.response.messages, { role: 'tool', content: responses }],
    });
    expect(s.runs).toEqual([{ action: 'db.export', args: { table: 'customers' } }]);
    expect(toolResultsIn(model.doGenerateCalls[1]?.prompt)).toEqual([
      {
        toolCallId: 'call-1',
        toolName: 'db__export',
        output: { type: 'json', value: { file: 'customers.csv' } },
      },
    ]);
  });
});
