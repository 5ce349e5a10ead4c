import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ApprovalRequest,
  type Countersign,
  type CountersignOptions,
  createCountersign,
  type GuardContext,
  type PolicyRule,
} from '@countersign/core';
import { createTestClock, type TestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';
import { createSlackTransport, type SlackTransport, type SlackTransportOptions } from '../src/index.js';
import { createSlackEmulator, DEFAULT_USERS, type SlackEmulator } from '../src/testing/index.js';

export const TEAM = 'T0EMULATOR';
export const CHANNEL = 'C0APPROVALS';
export const slackId = (user: string) => `slack:${TEAM}:${user}`;

/** Alice asks; Bob, Dan and Erin approve; Mallory is nobody; Botty is a bot; Carol is deactivated. */
export const USERS = [
  ...DEFAULT_USERS,
  { id: 'U0DAN', name: 'dan', email: 'dan@example.com' },
  { id: 'U0ERIN', name: 'erin', email: 'erin@example.com' },
  { id: 'U0MALLORY', name: 'mallory', email: 'mallory@example.com' },
  { id: 'U0BOTTY', name: 'botty', isBot: true },
];

export const POLICY: PolicyRule[] = [
  {
    id: 'exports-need-two',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: ['U0ALICE', 'U0BOB', 'U0DAN', 'U0ERIN', 'U0CAROL', 'U0BOTTY'].map(slackId) },
    quorum: 2,
    requestTtl: '10m',
    risk: 'high',
  },
  {
    id: 'deploys-need-one',
    match: { action: 'infra.deploy' },
    effect: 'require_approval',
    approvers: { users: ['U0BOB', 'U0DAN'].map(slackId) },
  },
];

export const CONTEXT: GuardContext = {
  actor: 'agent:report-bot',
  onBehalfOf: slackId('U0ALICE'),
  reason: 'Alice asked for the Q3 churn report',
  sessionId: 'sess_42',
};

export interface Harness {
  clock: TestClock;
  slack: SlackEmulator;
  transport: SlackTransport;
  cs: Countersign;
  logs: string[];
  interactionUrl: string;
  /** Starts a guarded call and resolves once its message is in Slack. */
  ask(
    action?: Partial<{ name: string; resource: string; params: Record<string, unknown> }>,
    context?: Partial<GuardContext>,
  ): Promise<Asked>;
  auditTypes(): Promise<string[]>;
  close(): Promise<void>;
}

export interface Asked {
  request: ApprovalRequest;
  channel: string;
  ts: string;
  /** The guarded call: resolves with `'ran'` once approved, rejects otherwise. */
  result: Promise<string>;
  /** Whether the guarded action ran. */
  ran(): boolean;
}

/** The transport options that point at `slack`, the emulator, and its default channel and team. */
export function emulatorOptions(slack: SlackEmulator) {
  return {
    token: slack.token,
    signingSecret: slack.signingSecret,
    channel: CHANNEL,
    teamId: TEAM,
    slackApiUrl: slack.apiUrl,
  };
}

export async function setup(
  options: { transport?: Partial<SlackTransportOptions>; countersign?: Partial<CountersignOptions> } = {},
): Promise<Harness> {
  const clock = createTestClock();
  const slack = createSlackEmulator({ users: USERS, now: () => clock.now() });
  await slack.start();
  const logs: string[] = [];
  const transport = createSlackTransport({
    ...emulatorOptions(slack),
    logger: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    ...options.transport,
  });
  const server = await listen(createServer(transport.nodeHandler));
  const interactionUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/interactions`;
  slack.setInteractionUrl(interactionUrl);
  const cs = createCountersign({
    store: createMemoryStore(),
    transports: [transport],
    policy: POLICY,
    clock,
    ...options.countersign,
  });

  return {
    clock,
    slack,
    transport,
    cs,
    logs,
    interactionUrl,
    async ask(action = {}, context = {}) {
      const delivered = nextDelivered(cs);
      let ran = false;
      const result = cs.guard(
        {
          name: action.name ?? 'db.export',
          resource: action.resource ?? 'prod/customers',
          params: action.params ?? { table: 'customers', format: 'csv' },
          run: () => {
            ran = true;
            return 'ran';
          },
        },
        { ...CONTEXT, ...context },
      );
      // Keep an early rejection from being unhandled; tests await `result` themselves.
      result.catch(() => {});
      const settledFirst = result.then(() => {
        throw new Error('the guard settled before its request was delivered');
      });
      settledFirst.catch(() => {});
      const request = await Promise.race([delivered, settledFirst]);
      const ref = request.deliveries.find((d) => d.transport === transport.name)?.ref;
      return { request, channel: ref?.channel ?? '', ts: ref?.ts ?? '', result, ran: () => ran };
    },
    async auditTypes() {
      return (await cs.audit.entries()).map((entry) => entry.type);
    },
    async close() {
      await cs.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await slack.close();
    },
  };
}

export function nextDelivered(cs: Countersign): Promise<ApprovalRequest> {
  return new Promise((resolve) => {
    cs.once('delivered', (event) => {
      if (event.request) resolve(event.request);
    });
  });
}

export function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Every text a message showed, in every revision: what a person could have read. */
export function shownTexts(slack: SlackEmulator): string[] {
  const texts: string[] = [];
  for (const record of slack.messages) {
    for (const revision of record.history) {
      if (revision.message === null) continue;
      texts.push(revision.message.text);
      collectText(revision.message.blocks, texts);
    }
  }
  return texts;
}

export function collectText(value: unknown, into: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectText(item, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'text' && typeof child === 'string') into.push(child);
      else collectText(child, into);
    }
  }
}

/** The current text of a message's blocks, joined. */
export function currentText(slack: SlackEmulator, channel: string, ts: string): string {
  const texts: string[] = [];
  const message = slack.message(channel, ts)?.message;
  texts.push(message?.text ?? '');
  collectText(message?.blocks, texts);
  return texts.join('\n');
}

export function hasButtons(slack: SlackEmulator, channel: string, ts: string): boolean {
  return (slack.message(channel, ts)?.message.blocks ?? []).some((block) => block.type === 'actions');
}

export function ephemeralsFor(slack: SlackEmulator, user: string): string[] {
  return slack.ephemerals.filter((e) => e.user === user).map((e) => e.message.text);
}
