// Shared fixtures: countersign on a test clock, guarded agent tools that count their runs, a scripted model.
import { type Countersign, createCountersign, type PolicyRule } from '@countersign/core';
import {
  createRecordingTransport,
  createTestClock,
  type RecordingTransport,
  type TestClock,
} from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { Agent, type FunctionTool } from '@openai/agents';
import type { ScriptedModel, ScriptedModelInput } from '@openai/agents/testing';
import { z } from 'zod';
import { type CountersignAgentTools, countersignAgentTools } from '../src/index.js';

export const POLICY: PolicyRule[] = [
  { id: 'reads-ok', match: { action: 'db.read' }, effect: 'allow' },
  {
    id: 'exports-need-bob',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: ['user:bob'] },
    requestTtl: '10m',
    grantTtl: '60s',
  },
  { id: 'no-escalation', match: { action: 'iam.*' }, effect: 'deny' },
];

export interface Thread {
  threadId: string;
}

export const CONTEXT: Thread = { threadId: 'thread_9' };

export interface Setup {
  cs: Countersign;
  clock: TestClock;
  transport: RecordingTransport;
  guard: CountersignAgentTools<Thread>;
  tools: { read: FunctionTool<Thread>; exportTable: FunctionTool<Thread>; grantRole: FunctionTool<Thread> };
  runs: { action: string; args: unknown }[];
}

export function setup(): Setup {
  const clock = createTestClock();
  const transport = createRecordingTransport();
  const cs = createCountersign({
    store: createMemoryStore(),
    transports: [transport],
    policy: POLICY,
    directory: {},
    clock,
  });
  const runs: { action: string; args: unknown }[] = [];
  const guard = countersignAgentTools<Thread>(cs, {
    actor: 'agent:report-bot',
    onBehalfOf: 'user:alice',
    sessionId: (runContext) => runContext.context.threadId,
  });
  const tools = {
    read: guard.tool({
      action: 'db.read',
      description: 'Read rows of a table',
      parameters: z.object({ table: z.string() }),
      execute: (args) => {
        runs.push({ action: 'db.read', args });
        return { rows: 3 };
      },
    }),
    exportTable: guard.tool({
      action: 'db.export',
      description: 'Export a table as CSV',
      parameters: z.object({ table: z.string() }),
      execute: (args) => {
        runs.push({ action: 'db.export', args });
        return `${args.table}.csv`;
      },
    }),
    grantRole: guard.tool({
      action: 'iam.grant',
      description: 'Grant a role',
      parameters: z.object({ user: z.string(), role: z.string() }),
      execute: (args) => {
        runs.push({ action: 'iam.grant', args });
        return 'granted';
      },
    }),
  };
  return { cs, clock, transport, guard, tools, runs };
}

export function agentWith(model: ScriptedModel, tools: FunctionTool<Thread>[]): Agent<Thread> {
  return new Agent<Thread>({ name: 'reporter', instructions: 'Help with reports.', tools, model });
}

/** What the model was told about each call in its last request: the function call outputs. */
export function outputsSeen(model: ScriptedModel): { callId: string; output: unknown }[] {
  const input = model.lastCall?.request.input;
  if (!Array.isArray(input)) return [];
  return input.flatMap((item) =>
    item.type === 'function_call_result' ? [{ callId: item.callId, output: item.output }] : [],
  );
}

export type { ScriptedModelInput };
