// Test harness: countersign with the Teams transport, wired to a Teams emulator on 127.0.0.1.
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
import { createTeamsTransport, type TeamsTransport, type TeamsTransportOptions } from '../src/index.js';
import {
  createTeamsEmulator,
  DEFAULT_TENANT_ID,
  DEFAULT_USERS,
  type EmulatedTeamsUser,
  type TeamsEmulator,
  teamsEmulatorOptions,
} from '../src/testing/index.js';

export const TENANT = DEFAULT_TENANT_ID;
export const ALICE = DEFAULT_USERS[0]!.aadObjectId;
export const BOB = DEFAULT_USERS[1]!.aadObjectId;
export const DAN = DEFAULT_USERS[2]!.aadObjectId;
export const ERIN = DEFAULT_USERS[3]!.aadObjectId;
export const MALLORY = '99999999-0000-4000-8000-0000000a11e7';
export const EVE = 'eeeeeeee-ffff-4000-8000-00000000e0e0';
export const teamsId = (aad: string) => `teams:${TENANT}:${aad}`;

/** Alice asks; Bob, Dan and Erin approve; Mallory is in the tenant but no approver; Eve is in another tenant. */
export const USERS: EmulatedTeamsUser[] = [
  ...DEFAULT_USERS,
  { aadObjectId: MALLORY, name: 'Mallory' },
  { aadObjectId: EVE, name: 'Eve Elsewhere', tenantId: '22222222-2222-4222-8222-222222222222' },
];

export const POLICY: PolicyRule[] = [
  {
    id: 'exports-need-two',
    match: { action: 'db.export' },
    effect: 'require_approval',
    approvers: { users: [ALICE, BOB, DAN, ERIN, EVE].map(teamsId) },
    quorum: 2,
    requestTtl: '10m',
    risk: 'high',
  },
];

export const CONTEXT: GuardContext = {
  actor: 'agent:report-bot',
  onBehalfOf: teamsId(ALICE),
  reason: 'Alice asked for the Q3 churn report',
  sessionId: 'sess_42',
};

export interface Asked {
  request: ApprovalRequest;
  activityId: string;
  result: Promise<string>;
  ran(): boolean;
}

export interface Harness {
  clock: TestClock;
  teams: TeamsEmulator;
  transport: TeamsTransport;
  cs: Countersign;
  logs: string[];
  endpoint: string;
  ask(params?: Record<string, unknown>, context?: Partial<GuardContext>): Promise<Asked>;
  close(): Promise<void>;
}

export function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let asks = 0;

export async function setup(
  options: {
    transport?: Partial<TeamsTransportOptions>;
    countersign?: Partial<CountersignOptions>;
    /** People in the emulated Teams besides {@link USERS}. */
    users?: EmulatedTeamsUser[];
  } = {},
): Promise<Harness> {
  const clock = createTestClock(Date.now());
  const teams = createTeamsEmulator({ users: [...USERS, ...(options.users ?? [])], now: () => clock.now() });
  await teams.start();
  const logs: string[] = [];
  const transport = createTeamsTransport({
    ...teamsEmulatorOptions(teams),
    logger: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    ...options.transport,
  });
  const server = await listen(createServer(transport.nodeHandler));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`;
  teams.setBotEndpoint(endpoint);
  const cs = createCountersign({
    store: createMemoryStore(),
    transports: [transport],
    policy: POLICY,
    clock,
    ...options.countersign,
  });
  return {
    clock,
    teams,
    transport,
    cs,
    logs,
    endpoint,
    async ask(params = { table: 'customers', format: 'csv' }, context = {}) {
      const delivered = nextDelivered(cs);
      let ran = false;
      const result = cs.guard(
        {
          name: 'db.export',
          resource: 'prod/customers',
          params,
          run: () => {
            ran = true;
            return 'ran';
          },
        },
        // Each ask is its own call: identical pending calls would share one request.
        { ...CONTEXT, sessionId: `sess_${++asks}`, ...context },
      );
      result.catch(() => {});
      const settledFirst = result.then(() => {
        throw new Error('the guard settled before its request was delivered');
      });
      settledFirst.catch(() => {});
      const request = await Promise.race([delivered, settledFirst]);
      const ref = request.deliveries.find((d) => d.transport === transport.name)?.ref;
      return { request, activityId: ref?.activityId ?? '', result, ran: () => ran };
    },
    async close() {
      await cs.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await teams.close();
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

/** Every `text` string in a JSON value: what a person could read on a card. */
export function collectText(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) collectText(item, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if ((key === 'text' || key === 'fallbackText' || key === 'summary') && typeof child === 'string')
        into.push(child);
      else collectText(child, into);
    }
  }
  return into;
}

/** The card currently shown in the channel for an activity. */
export function currentCard(teams: TeamsEmulator, activityId: string): Record<string, unknown> {
  const activity = teams.activity(activityId)?.activity as {
    attachments?: { content: Record<string, unknown> }[];
  };
  return activity?.attachments?.[0]?.content ?? {};
}

export function cardText(card: unknown): string {
  return collectText(card).join('\n');
}

export function hasButtons(card: Record<string, unknown>): boolean {
  return Array.isArray(card.actions) && card.actions.length > 0;
}
