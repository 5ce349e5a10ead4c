// Approvals that outlive the call, across processes over one schema: open in A, decide in B, resume in C.
import { readFileSync } from 'node:fs';
import { type Countersign, createCountersign, isCountersignError } from '@countersign/core';
import { ACTION } from '@countersign/slack-transport';
import { createSlackEmulator, DEFAULT_USERS, type SlackEmulator } from '@countersign/slack-transport/testing';
import { afterEach, describe, expect, test } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { type Child, type ChildEvent, killChildren, spawnChild } from './children.js';
import { policy } from './fixtures/policy.js';
import { type SlackConfig, slackId, slackPolicy } from './fixtures/slack-policy.js';
import { PG_URL, storeWithRunLog } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
/** Each step is a fresh Node process compiling TypeScript; on a busy machine that takes seconds. */
const SLOW = 60_000;
afterEach(async () => {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Job {
  key: string;
  sessionId: string;
  requestId?: string;
}

interface Step {
  step: 'open' | 'resume' | 'detach';
  jobs: Job[];
  slack?: SlackConfig;
  requestTtl?: string;
  clockOffsetMs?: number;
  barrier?: boolean;
  abortAfterMs?: number;
}

interface Topology {
  store: PostgresStore;
  ranFile: string;
  /** Starts test/fixtures/pause-resume-agent.ts for one step over this schema. */
  spawnStep(step: Step): Child;
  /** A countersign over the same schema in this process, closed after the test. */
  local(): Countersign;
}

async function topology(): Promise<Topology> {
  const { store, ranFile } = await storeWithRunLog(cleanups);
  const shared = { url: PG_URL, schema: store.schema, ranFile };
  return {
    store,
    ranFile,
    // children.ts types the names of its own fixtures only; this one is spawned the same way.
    spawnStep: (step) => spawnChild('pause-resume-agent' as unknown as 'agent', { ...shared, ...step }),
    local() {
      const cs = createCountersign({ store, policy: [...policy, ...slackPolicy] });
      cleanups.push(() => cs.close());
      return cs;
    },
  };
}

const result = (child: Child, key?: string) =>
  child.waitFor((e) => e.event === 'result' && (key === undefined || e.key === key), SLOW);

function ranLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

/** The types of the audit entries of one request, in order. */
async function auditOf(cs: Countersign, requestId: string): Promise<string[]> {
  return (await cs.audit.entries()).filter((e) => e.requestId === requestId).map((e) => e.type);
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = SLOW): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Opens `jobs` in a process of their own (A), which must exit once they are pending. */
async function openInProcess(t: Topology, jobs: Job[], extra: Partial<Step> = {}): Promise<ChildEvent[]> {
  const opener = t.spawnStep({ step: 'open', jobs, ...extra });
  expect((await opener.exited).code).toBe(0);
  const results = opener.events.filter((e) => e.event === 'result');
  expect(results.map((r) => r.outcome)).toEqual(jobs.map(() => 'pending'));
  return results;
}

/** Resumes `jobs` in a fresh process, and returns its results once it has exited. */
async function resumeInProcess(t: Topology, jobs: Job[], extra: Partial<Step> = {}) {
  const child = t.spawnStep({ step: 'resume', jobs, ...extra });
  expect((await child.exited).code).toBe(0);
  return { child, results: child.events.filter((e) => e.event === 'result') };
}

describe('approvals that outlive the call, across processes over one schema', () => {
  test('A opens and exits, B decides, C resumes and runs the action once; D is told already_started', async () => {
    const t = await topology();
    const job = { key: 'release-1', sessionId: 'sess_a' };
    const [opened] = await openInProcess(t, [job]);
    const requestId = opened!.requestId as string;

    // Not decided yet: a resume runs nothing and says the request is pending.
    const early = await resumeInProcess(t, [job]);
    expect(early.results).toMatchObject([{ outcome: 'approval_pending', requestId }]);
    expect(ranLines(t.ranFile)).toEqual([]);

    const decider = spawnChild('decider', {
      url: PG_URL,
      schema: t.store.schema,
      approver: 'user:bob',
      once: true,
    });
    expect((await decider.waitFor((e) => e.event === 'decided', SLOW)).requestId).toBe(requestId);
    expect((await decider.exited).code).toBe(0);

    const resumed = await resumeInProcess(t, [job]);
    expect(resumed.results).toMatchObject([{ outcome: 'ran' }]);
    const again = await resumeInProcess(t, [job]);
    expect(again.results).toMatchObject([{ outcome: 'already_started', requestId }]);
    expect(ranLines(t.ranFile)).toEqual([`release-1 ${resumed.child.process.pid}`]);

    const cs = t.local();
    expect((await cs.getRequest(requestId))?.status).toBe('executed');
    expect(await auditOf(cs, requestId)).toEqual(['requested', 'approved', 'granted', 'executed']);
    expect((await cs.audit.verify()).ok).toBe(true);
  }, 180_000);

  test('A opens and posts to Slack, two approvers click through B, C resumes and runs the action once; D is told already_started', async () => {
    const slack: SlackEmulator = createSlackEmulator({
      users: [
        ...DEFAULT_USERS,
        { id: 'U0DAN', name: 'dan', email: 'dan@example.com' },
        { id: 'U0ERIN', name: 'erin', email: 'erin@example.com' },
      ],
    });
    await slack.start();
    cleanups.push(() => slack.close());
    const t = await topology();
    const slackConfig: SlackConfig = {
      apiUrl: slack.apiUrl,
      token: slack.token,
      signingSecret: slack.signingSecret,
    };
    const approver = spawnChild('slack-approver', {
      url: PG_URL,
      schema: t.store.schema,
      slack: slackConfig,
    });
    slack.setInteractionUrl((await approver.waitFor((e) => e.event === 'listening', SLOW)).url as string);

    const job = { key: 'customers', sessionId: 'sess_slack' };
    const opener = t.spawnStep({ step: 'open', jobs: [job], slack: slackConfig });
    const delivered = await opener.waitFor((e) => e.event === 'delivered', SLOW);
    expect((await opener.exited).code).toBe(0);
    expect(opener.events.find((e) => e.event === 'result')).toMatchObject({
      outcome: 'pending',
      requestId: delivered.requestId,
    });
    const requestId = delivered.requestId as string;
    const at = { channel: delivered.channel as string, ts: delivered.ts as string };

    // The opener has exited: only B, at Slack's interaction URL, can take these clicks.
    // B answers a click before it records it: wait for each, so the decisions keep the click order.
    // The first vote is a decided entry; the one that settles the quorum is the approved entry.
    for (const [user, type] of [
      ['U0BOB', 'decided'],
      ['U0DAN', 'approved'],
    ] as const) {
      expect((await slack.click({ user, ...at, actionId: ACTION.Approve })).status).toBe(200);
      await approver.waitFor((e) => e.event === type && e.approver === slackId(user), SLOW);
    }
    await approver.waitFor((e) => e.event === 'approved' && e.requestId === requestId, SLOW);
    expect(ranLines(t.ranFile)).toEqual([]);

    const resumed = await resumeInProcess(t, [job], { slack: slackConfig });
    expect(resumed.results).toMatchObject([{ outcome: 'ran' }]);
    const again = await resumeInProcess(t, [job], { slack: slackConfig });
    expect(again.results).toMatchObject([{ outcome: 'already_started', requestId }]);
    expect(ranLines(t.ranFile)).toEqual([`customers ${resumed.child.process.pid}`]);

    const text = () => {
      const message = slack.message(at.channel, at.ts)?.message;
      return `${message?.text}\n${JSON.stringify(message?.blocks ?? [])}`;
    };
    await until('the message to say the action ran', () => text().includes('The action ran'));
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);

    const cs = t.local();
    const stored = await cs.getRequest(requestId);
    expect(stored?.status).toBe('executed');
    expect(stored?.decisions.map((d) => [d.approver, d.via])).toEqual([
      [slackId('U0BOB'), 'slack'],
      [slackId('U0DAN'), 'slack'],
    ]);
    expect((await cs.audit.verify()).ok).toBe(true);
    approver.process.kill('SIGTERM');
    expect((await approver.exited).code).toBe(0);
  }, 180_000);

  test('a resume after a denial, or after the deadline, gets the final error and runs nothing', async () => {
    const t = await topology();
    const denied = { key: 'release-denied', sessionId: 'sess_d' };
    const late = { key: 'release-late', sessionId: 'sess_d' };
    // The opener reports each job as it settles, in either order: find each by its key.
    const opened = await openInProcess(t, [denied, late]);
    const first = opened.find((r) => r.key === denied.key);
    const second = opened.find((r) => r.key === late.key);
    const cs = t.local();
    await cs.decide(first!.requestId as string, {
      approver: 'user:carol',
      outcome: 'deny',
      comment: 'not today',
    });

    // C starts after both deadlines: its clock reads 16 minutes on (the rule's lifetime is 15).
    const { results } = await resumeInProcess(t, [denied, late], { clockOffsetMs: 16 * 60_000 });
    expect(results.find((r) => r.key === denied.key)).toMatchObject({
      outcome: 'approval_denied',
      comment: 'not today',
    });
    expect(results.find((r) => r.key === late.key)).toMatchObject({ outcome: 'approval_expired' });
    // Settled for good: a process on the true time is told the same.
    const { results: again } = await resumeInProcess(t, [denied, late]);
    expect(again.map((r) => r.outcome).sort()).toEqual(['approval_denied', 'approval_expired']);
    expect(ranLines(t.ranFile)).toEqual([]);

    expect(await auditOf(cs, first!.requestId as string)).toEqual(['requested', 'denied']);
    expect(await auditOf(cs, second!.requestId as string)).toEqual(['requested', 'expired']);
    expect((await cs.audit.verify()).ok).toBe(true);
  }, 180_000);

  test('a detached request stays pending, expires at its deadline and is audited; its resume runs nothing', async () => {
    const t = await topology();
    const job = { key: 'release-detached', sessionId: 'sess_x' };
    const waiter = t.spawnStep({ step: 'detach', jobs: [job], requestTtl: '5s' });
    expect((await waiter.exited).code).toBe(0);
    const detached = waiter.events.find((e) => e.event === 'result');
    expect(detached).toMatchObject({ outcome: 'approval_pending' });
    const requestId = detached!.requestId as string;
    const expiresAt = detached!.expiresAt as number;

    // Nobody cancelled it on the way out: detaching left it for a later resume.
    const cs = t.local();
    expect((await cs.getRequest(requestId))?.status).toBe('pending');
    const expired = await cs.waitForDecision(requestId);
    expect(expired.status).toBe('expired');
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    const entries = (await cs.audit.entries()).filter((e) => e.requestId === requestId);
    expect(entries.map((e) => e.type)).toEqual(['requested', 'expired']);
    expect(entries[1]!.at).toBeGreaterThanOrEqual(expiresAt);

    const { results } = await resumeInProcess(t, [job]);
    expect(results).toMatchObject([{ outcome: 'approval_expired', requestId }]);
    expect(ranLines(t.ranFile)).toEqual([]);
    expect((await cs.audit.verify()).ok).toBe(true);
  }, 180_000);

  test('a waiter that detaches in the same millisecond as the decision lands: the action runs exactly once', async () => {
    const t = await topology();
    const cs = t.local();
    const seen: string[] = [];
    // The decision is sent this many ms before or after the waiter's abort.
    for (const [round, skewMs] of [-50, -3, 0, 3].entries()) {
      const job = { key: `release-race-${round}`, sessionId: 'sess_r' };
      const waiter = t.spawnStep({ step: 'detach', jobs: [job], abortAfterMs: 600 });
      const armed = await waiter.waitFor((e) => e.event === 'armed', SLOW);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, (armed.abortAt as number) + skewMs - Date.now())),
      );
      await cs.decide(armed.requestId as string, { approver: 'user:bob', outcome: 'approve' });
      expect((await waiter.exited).code).toBe(0);
      const first = (await result(waiter)).outcome as string;
      const second = await cs
        .guard(
          { name: 'deploy', resource: 'prod/api', params: { job: job.key }, run: () => 'ran' },
          {
            actor: 'agent:deployer',
            reason: `the user asked for ${job.key}`,
            sessionId: job.sessionId,
            idempotencyKey: job.key,
            wait: false,
          },
        )
        .catch((error: unknown) => (isCountersignError(error) ? error.code : 'unexpected'));
      // Either the waiter saw the approval before its abort and ran, or it detached and the resume ran.
      expect([first, second]).toEqual(
        first === 'ran' ? ['ran', 'already_started'] : ['approval_pending', 'ran'],
      );
      expect(ranLines(t.ranFile).filter((line) => line.startsWith(`${job.key} `))).toHaveLength(
        first === 'ran' ? 1 : 0,
      );
      seen.push(first);
    }
    console.info(`detach races: the waiter ${seen.join(', ')}`);
    expect((await cs.audit.verify()).ok).toBe(true);
  }, 180_000);

  test('two processes resuming the same approvals at once: each action runs exactly once', async () => {
    const t = await topology();
    const cs = t.local();
    const jobs = ['release-a', 'release-b', 'release-c'].map((key) => ({ key, sessionId: 'sess_race' }));
    for (const job of jobs) {
      const opened = await cs.open(
        { name: 'deploy', resource: 'prod/api', params: { job: job.key } },
        {
          actor: 'agent:deployer',
          reason: `the user asked for ${job.key}`,
          sessionId: job.sessionId,
          idempotencyKey: job.key,
        },
      );
      if (opened.status !== 'pending') throw new Error(`expected pending, got ${opened.status}`);
      await cs.decide(opened.requestId, { approver: 'user:carol', outcome: 'approve' });
    }
    // Three resumes of each approval in each process, released together once both are connected.
    const racing = jobs.flatMap((job) => [job, job, job]);
    const racers = [0, 1].map(() => t.spawnStep({ step: 'resume', jobs: racing, barrier: true }));
    await Promise.all(racers.map((racer) => racer.waitFor((e) => e.event === 'ready', SLOW)));
    for (const racer of racers) racer.process.kill('SIGUSR2');
    for (const racer of racers) expect((await racer.exited).code).toBe(0);

    const lines = ranLines(t.ranFile).map((line) => line.split(' ')[0]);
    expect(lines.sort()).toEqual(jobs.map((job) => job.key));
    const outcomes = racers.flatMap((racer) => racer.events.filter((e) => e.event === 'result'));
    expect(outcomes).toHaveLength(18);
    expect(outcomes.filter((r) => r.outcome === 'ran')).toHaveLength(3);
    expect(outcomes.filter((r) => r.outcome === 'already_started')).toHaveLength(15);
    const entries = await cs.audit.entries();
    expect(entries.filter((e) => e.type === 'granted')).toHaveLength(3);
    expect(entries.filter((e) => e.type === 'executed')).toHaveLength(3);
    expect((await cs.audit.verify()).ok).toBe(true);
    console.info(
      `resume race: runs by ${racers.map((r) => r.events.filter((e) => e.event === 'ran').length).join('/')}`,
    );
  }, 180_000);
});
