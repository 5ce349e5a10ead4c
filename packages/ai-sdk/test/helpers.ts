// Shared fixtures: a countersign instance on a test clock, guarded tools that count their runs, a scripted model.
import { type Countersign, createCountersign, type PolicyRule } from '@countersign/core';
import {
  createRecordingTransport,
  createTestClock,
  type RecordingTransport,
  type TestClock,
} from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { tool } from 'ai';
import { MockLanguageModelV4, simulateReadableStream } from 'ai/test';
import { z } from 'zod';
import { type CountersignTools, countersignTools, type GuardedTool } from '../src/index.js';

type GenerateResult = Awaited<ReturnType<MockLanguageModelV4['doGenerate']>>;
type LanguageModelV4Content = GenerateResult['content'][number];
type LanguageModelV4Prompt = MockLanguageModelV4['doGenerateCalls'][number]['prompt'];
type LanguageModelV4StreamPart =
  Awaited<ReturnType<MockLanguageModelV4['doStream']>>['stream'] extends ReadableStream<infer P> ? P : never;

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

export const SESSION = 'chat_7';
export const ACTOR = 'agent:report-bot';

export interface Setup {
  cs: Countersign;
  clock: TestClock;
  transport: RecordingTransport;
  guard: CountersignTools;
  tools: {
    db__read: GuardedTool<{ table: string }, { rows: number }>;
    db__export: GuardedTool<{ table: string }, { file: string }>;
    iam__grant: GuardedTool<{ user: string; role: string }, string>;
  };
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
  const guard = countersignTools(cs, { actor: ACTOR, onBehalfOf: 'user:alice', sessionId: SESSION });
  const tools = guard.tools({
    'db.read': tool({
      description: 'Read rows of a table',
      inputSchema: z.object({ table: z.string() }),
      execute: async (args) => {
        runs.push({ action: 'db.read', args });
        return { rows: 3 };
      },
    }),
    'db.export': tool({
      description: 'Export a table as CSV',
      inputSchema: z.object({ table: z.string() }),
      execute: async (args) => {
        runs.push({ action: 'db.export', args });
        return { file: `${args.table}.csv` };
      },
    }),
    'iam.grant': tool({
      description: 'Grant a role',
      inputSchema: z.object({ user: z.string(), role: z.string() }),
      execute: async (args) => {
        runs.push({ action: 'iam.grant', args });
        return 'granted';
      },
    }),
  });
  return { cs, clock, transport, guard, tools, runs };
}

const USAGE = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};

export function call(
  toolCallId: string,
  toolName: string,
  input: Record<string, unknown>,
): LanguageModelV4Content {
  return { type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) };
}

export function text(value: string): LanguageModelV4Content {
  return { type: 'text', text: value };
}

/** A model that answers each call with the next step of the script, and records every prompt. */
export function scriptedModel(steps: LanguageModelV4Content[][]): MockLanguageModelV4 {
  let next = 0;
  const take = () => {
    const content = steps[next++];
    if (!content) throw new Error(`the model was called ${next} times; the script has ${steps.length} steps`);
    return content;
  };
  const finishOf = (content: LanguageModelV4Content[]) =>
    content.some((part) => part.type === 'tool-call')
      ? ({ unified: 'tool-calls', raw: undefined } as const)
      : ({ unified: 'stop', raw: undefined } as const);
  return new MockLanguageModelV4({
    doGenerate: async () => {
      const content = take();
      return { content, finishReason: finishOf(content), usage: USAGE, warnings: [] };
    },
    doStream: async () => {
      const content = take();
      const chunks: LanguageModelV4StreamPart[] = [];
      for (const part of content) {
        if (part.type === 'text') {
          chunks.push({ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: part.text });
          chunks.push({ type: 'text-end', id: 't' });
        } else chunks.push(part as LanguageModelV4StreamPart);
      }
      chunks.push({ type: 'finish', finishReason: finishOf(content), usage: USAGE });
      return { stream: simulateReadableStream({ chunks, initialDelayInMs: null, chunkDelayInMs: null }) };
    },
  });
}

/** The tool results in a prompt the model received: exactly what it was told about each call. */
export function toolResultsIn(
  prompt: LanguageModelV4Prompt | undefined,
): { toolCallId: string; toolName: string; output: unknown }[] {
  const seen: { toolCallId: string; toolName: string; output: unknown }[] = [];
  for (const message of prompt ?? []) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) {
      if (part.type === 'tool-result') {
        seen.push({ toolCallId: part.toolCallId, toolName: part.toolName, output: part.output });
      }
    }
  }
  return seen;
}

/** The only request delivered so far, for deciding it. */
export function onlyRequest(transport: { delivered: { id: string }[] }): string {
  if (transport.delivered.length !== 1)
    throw new Error(`expected one request, got ${transport.delivered.length}`);
  return transport.delivered[0]!.id;
}
