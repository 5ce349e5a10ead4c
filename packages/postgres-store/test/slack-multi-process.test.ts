import { readFileSync } from 'node:fs';
import { createCountersign } from '@countersign/core';
import { ACTION } from '@countersign/slack-transport';
import { createSlackEmulator, DEFAULT_USERS, type SlackEmulator } from '@countersign/slack-transport/testing';
import { afterEach, describe, expect, test } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { type Child, killChildren, spawnChild } from './children.js';
import { type SlackConfig, slackId, slackPolicy } from './fixtures/slack-policy.js';
import { PG_URL, storeWithRunLog } from './helpers.js';

/** Alice asks (the agent acts for her); Bob, Dan and Erin approve; Mallory is nobody. */
const USERS = [
  ...DEFAULT_USERS,
  { id: 'U0DAN', name: 'dan', email: 'dan@example.com' },
  { id: 'U0ERIN', name: 'erin', email: 'erin@example.com' },
  { id: 'U0MALLORY', name: 'mallory', email: 'mallory@example.com' },
];

let slack: SlackEmulator;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Topology {
  store: PostgresStore;
  ranFile: string;
  agent: Child;
  approver: Child;
}

/**
 * A Slack emulator and a fresh schema in this process; the approval server (process B) at the
 * emulator's interaction URL; then the agent (process A).
 */
async function startTopology(tables: string[]): Promise<Topology> {
  slack = createSlackEmulator({ users: USERS });
  await slack.start();
  cleanups.push(() => slack.close());
  const slackConfig: SlackConfig = {
    apiUrl: slack.apiUrl,
    token: slack.token,
    signingSecret: slack.signingSecret,
  };
  const { store, ranFile } = await storeWithRunLog(cleanups);
  const shared = { url: PG_URL, schema: store.schema, slack: slackConfig };
  const approver = spawnChild('slack-approver', shared);
  const listening = await approver.waitFor((e) => e.event === 'listening');
  slack.setInteractionUrl(listening.url as string);
  const agent = spawnChild('slack-agent', { ...shared, tables, ranFile });
  return { store, ranFile, agent, approver };
}

interface Posted {
  requestId: string;
  channel: string;
  ts: string;
}

async function posted(agent: Child, count: number): Promise<Posted[]> {
  await agent.waitFor(() => agent.events.filter((e) => e.event === 'delivered').length >= count);
  return agent.events
    .filter((e) => e.event === 'delivered')
    .map((e) => ({ requestId: e.requestId as string, channel: e.channel as string, ts: e.ts as string }));
}

/** Clicks are answered before they are decided, in another process: wait for what they cause. */
async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function click(user: string, at: Posted, value?: string) {
  return slack.click({ user, channel: at.channel, ts: at.ts, actionId: ACTION.Approve, value });
}

function ephemeralTo(user: string): Promise<string> {
  return until(
    `an ephemeral message to ${user}`,
    () => slack.ephemerals.find((e) => e.user === user)?.message.text,
  );
}

function textOf(message: { text: string; blocks?: readonly unknown[] | undefined }): string {
  return [message.text, JSON.stringify(message.blocks ?? [])].join('\n');
}

function hasButtons(message: { blocks?: readonly { type: string }[] | undefined }): boolean {
  return (message.blocks ?? []).some((block) => block.type === 'actions');
}

function ranLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

describe('Slack approvals served by another process over one schema', () => {
  test('agent A waits, server B takes two Slack approvals, A runs once; refusals are told and audited', async () => {
    const { store, ranFile, agent, approver } = await startTopology(['customers']);
    const [request] = await posted(agent, 1);
    const message = () => slack.message(request!.channel, request!.ts)!.message;
    expect(textOf(message())).toContain('0 of 2 approvals');
    expect(hasButtons(message())).toBe(true);

    // The person the agent acts for, and someone who is no approver: both refused by process B.
    expect((await click('U0ALICE', request!)).status).toBe(200);
    expect(await ephemeralTo('U0ALICE')).toContain('made by you or on your behalf');
    expect((await click('U0MALLORY', request!)).status).toBe(200);
    expect(await ephemeralTo('U0MALLORY')).toContain('not an approver');

    // With A stopped, only B can have re-rendered the message after the first approval.
    agent.process.kill('SIGSTOP');
    try {
      expect((await click('U0BOB', request!)).status).toBe(200);
      await until('the message to show one approval', () => textOf(message()).includes('1 of 2 approvals'));
    } finally {
      agent.process.kill('SIGCONT');
    }
    expect(hasButtons(message())).toBe(true);
    expect(ranLines(ranFile)).toEqual([]);

    // B's update after the approval is slowed, so A's later updates land first: the message must
    // still end on the newest state, not on B's stale one.
    slack.failNext('chat.update', { delayMs: 800 });
    expect((await click('U0DAN', request!)).status).toBe(200);
    const approved = await approver.waitFor((e) => e.event === 'approved');
    const ran = await agent.waitFor((e) => e.event === 'ran');
    const exited = await agent.exited;
    const latencyMs = (ran.at as number) - (approved.at as number);
    console.info(`slack topology: A ran ${latencyMs}ms after B recorded the second approval`);
    expect(latencyMs).toBeLessThan(2_000);
    expect(exited.code).toBe(0);
    expect(agent.events.find((e) => e.event === 'result')).toMatchObject({ outcome: 'ran' });
    expect(ranLines(ranFile)).toEqual([`customers ${agent.process.pid}`]);

    await until('the message to show the action ran', () => textOf(message()).includes('The action ran'));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(textOf(message())).toContain('The action ran');
    expect(hasButtons(message())).toBe(false);
    const revisions = slack.message(request!.channel, request!.ts)!.history.map((r) => textOf(r.message!));
    const progress = revisions.findIndex((t) => t.includes('1 of 2 approvals'));
    const decided = revisions.findIndex((t) => t.includes('*Approved* by') && !t.includes('The action ran'));
    const executed = revisions.findIndex((t) => t.includes('The action ran'));
    expect(0 < progress && progress < decided && decided < executed).toBe(true);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);

    const stored = await store.getRequest(request!.requestId);
    expect(stored?.status).toBe('executed');
    expect(stored?.decisions.map((d) => [d.approver, d.via])).toEqual([
      [slackId('U0BOB'), 'slack'],
      [slackId('U0DAN'), 'slack'],
    ]);
    const audit = createCountersign({ store, policy: slackPolicy });
    const entries = await audit.audit.entries();
    expect(entries.filter((e) => e.type === 'refused').map((e) => [e.approver, e.via, e.detail])).toEqual([
      [slackId('U0ALICE'), 'slack', 'self-approval'],
      [slackId('U0MALLORY'), 'slack', 'not an eligible approver'],
    ]);
    expect(entries.filter((e) => e.type === 'executed')).toHaveLength(1);
    expect(await audit.audit.verify()).toMatchObject({ ok: true, entries: entries.length });

    approver.process.kill('SIGTERM');
    expect((await approver.exited).code).toBe(0);
    expect(approver.events.at(-1)).toMatchObject({ event: 'closed' });
  });

  test('a click whose button value names another request is refused by B and decides neither', async () => {
    const { store, agent } = await startTopology(['customers', 'invoices']);
    const [first, second] = await posted(agent, 2);
    expect((await click('U0BOB', first!, second!.requestId)).status).toBe(200);
    expect(await ephemeralTo('U0BOB')).toContain('does not belong');

    for (const request of [first!, second!]) {
      const stored = await store.getRequest(request.requestId);
      expect(stored).toMatchObject({ status: 'pending', decisions: [] });
    }
    const audit = createCountersign({ store, policy: slackPolicy });
    const entries = await audit.audit.entries();
    expect(
      entries.filter((e) => e.type === 'refused').map((e) => [e.requestId, e.approver, e.detail]),
    ).toEqual([
      [second!.requestId, slackId('U0BOB'), 'button does not match the message posted for this request'],
    ]);
    expect(entries.some((e) => e.type === 'decided')).toBe(false);
    expect(agent.events.some((e) => e.event === 'ran')).toBe(false);
    expect(await audit.audit.verify()).toMatchObject({ ok: true });
  });
});
