/**
 * An AI SDK agent loop with a scripted model, printing exactly what the model sees after each of
 * its calls: a read the policy allows, an export a person approves in the (emulated) Slack channel,
 * and a privilege escalation the policy denies. Runs offline against the bundled Slack emulator.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CountersignTools, countersignTools } from '@countersign/ai-sdk';
import { type Countersign, createCountersign } from '@countersign/core';
import { createMemoryStore } from '@countersign/memory-store';
import { ACTION, createSlackTransport, type SlackTransport } from '@countersign/slack-transport';
import { createSlackEmulator, type SlackEmulator } from '@countersign/slack-transport/testing';
import { generateText, type ModelMessage, stepCountIs, type ToolSet, tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { z } from 'zod';

const log = (line: string) => process.stdout.write(`${line}\n`);

type Generated = Awaited<ReturnType<MockLanguageModelV4['doGenerate']>>;
type Prompt = MockLanguageModelV4['doGenerateCalls'][number]['prompt'];

const USAGE: Generated['usage'] = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};

/** What the model would do at each of its calls: one tool call, then a final answer. */
const SCRIPT: { toolName: string; input: Record<string, unknown> }[] = [
  {
    toolName: 'db__read',
    input: { table: 'orders', reason: 'Alice asked how many orders churned customers placed' },
  },
  {
    toolName: 'db__export',
    input: { table: 'customers', reason: 'Alice asked for the Q3 churn report as CSV' },
  },
  {
    toolName: 'iam__grant',
    input: { user: 'agent:report-bot', role: 'admin', reason: 'Exports would be faster' },
  },
];

/** A scripted stand-in for an LLM that prints the tool results each prompt carries, as the model reads them. */
function scriptedModel(): MockLanguageModelV4 {
  let step = 0;
  return new MockLanguageModelV4({
    doGenerate: async ({ prompt }) => {
      for (const line of toolResultsIn(prompt)) log(`  model sees   ${line}`);
      const next = SCRIPT[step++];
      if (next === undefined) {
        const text = 'The export is ready; I did not change any roles.';
        log(`  model says   "${text}"`);
        return {
          content: [{ type: 'text', text }],
          finishReason: { unified: 'stop', raw: undefined },
          usage: USAGE,
          warnings: [],
        };
      }
      log(`  model calls  ${next.toolName} ${JSON.stringify(next.input)}`);
      return {
        content: [
          {
            type: 'tool-call',
            toolCallId: `call-${step}`,
            toolName: next.toolName,
            input: JSON.stringify(next.input),
          },
        ],
        finishReason: { unified: 'tool-calls', raw: undefined },
        usage: USAGE,
        warnings: [],
      };
    },
  });
}

/** The tool results of the prompt's last message: what the model learns about its previous calls. */
function toolResultsIn(prompt: Prompt): string[] {
  const last = prompt.at(-1);
  if (last?.role !== 'tool') return [];
  return last.content.flatMap((part) =>
    part.type === 'tool-result' ? [`${part.toolName} -> ${JSON.stringify(part.output)}`] : [],
  );
}

async function main(): Promise<number> {
  const emulator = createSlackEmulator();
  await emulator.start();
  const identity = (user: string) => `slack:${emulator.team.id}:${user}`;
  const transport = createSlackTransport({
    token: emulator.token,
    signingSecret: emulator.signingSecret,
    channel: 'C0APPROVALS',
    teamId: emulator.team.id,
    slackApiUrl: emulator.apiUrl,
  });
  const server: Server = createServer(transport.nodeHandler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  emulator.setInteractionUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/interactions`);

  const cs = createCountersign({
    store: createMemoryStore(),
    transports: [transport],
    policy: [
      { id: 'reads-ok', match: { action: 'db.read' }, effect: 'allow' },
      {
        id: 'exports-need-a-data-owner',
        match: { action: 'db.export' },
        effect: 'require_approval',
        approvers: { users: [identity('U0BOB')] },
        requestTtl: '15m',
        risk: 'high',
      },
      { id: 'no-escalation', match: { action: 'iam.*' }, effect: 'deny' },
    ],
  });
  // Bob, in the Slack channel: clicks Approve once the request is posted.
  cs.once('delivered', (event) => {
    const ref = event.request?.deliveries.find((d) => d.transport === transport.name)?.ref;
    if (!ref?.channel || !ref.ts) return;
    const { channel, ts } = ref;
    void emulator
      .click({ user: 'U0BOB', channel, ts, actionId: ACTION.Approve })
      .then((click) => log(`  slack        U0BOB clicked Approve (HTTP ${click.status})`))
      .catch((error: unknown) => log(`  slack        click failed: ${String(error)}`));
  });

  const guard = countersignTools(cs, {
    actor: 'agent:report-bot',
    onBehalfOf: identity('U0ALICE'),
    sessionId: 'chat_42',
  });
  const tools = guard.tools({
    'db.read': tool({
      description: 'Count rows of a table',
      inputSchema: z.object({ table: z.string() }),
      execute: async ({ table }) => ({ table, rows: 1284 }),
    }),
    'db.export': tool({
      description: 'Export a table as CSV',
      inputSchema: z.object({ table: z.string() }),
      execute: async ({ table }) => {
        log(`  tool         db.export ran for ${table}`);
        return { file: `${table}.csv`, rows: 1284 };
      },
    }),
    'iam.grant': tool({
      description: 'Grant a role to a user',
      inputSchema: z.object({ user: z.string(), role: z.string() }),
      execute: async () => {
        log('  tool         iam.grant ran (this must never print)');
        return 'granted';
      },
    }),
  });

  try {
    return await agentLoop(guard, tools, cs, emulator, transport);
  } finally {
    await cs.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await emulator.close();
  }
}

/** Calls the model until it answers without waiting for people; resumes each pause once Slack has decided. */
async function agentLoop(
  guard: CountersignTools,
  tools: ToolSet,
  cs: Countersign,
  emulator: SlackEmulator,
  transport: SlackTransport,
): Promise<number> {
  const model = scriptedModel();
  const messages: ModelMessage[] = [{ role: 'user', content: 'Prepare the Q3 churn report for me.' }];
  for (let turn = 1; turn <= 5; turn++) {
    log(`Run ${turn}:`);
    const result = await generateText({
      model,
      tools,
      toolApproval: guard.toolApproval,
      messages,
      stopWhen: stepCountIs(10),
    });
    messages.push(...result.response.messages);
    const paused = result.content.some((part) => part.type === 'tool-approval-request' && !part.isAutomatic);
    if (!paused) break;
    log('  run paused   waiting for a person to approve in Slack');
    const { responses } = await guard.approvalResponses({ content: result.content, tools, wait: true });
    for (const response of responses)
      log(`  countersign  ${response.approved ? 'approved' : `denied: ${response.reason}`}`);
    messages.push({ role: 'tool', content: responses });
  }

  await transport.idle();
  const types = (await cs.audit.entries()).map((entry) => entry.type);
  log(`Audit: ${types.join(' -> ')}`);
  const audit = await cs.audit.verify();
  log(audit.ok ? `Audit verified: ${audit.entries} entries, hash chain intact.` : 'Audit FAILED to verify.');
  log(`Slack message after the decision: "${emulator.messages[0]?.message.text ?? '(none)'}"`);
  return audit.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
