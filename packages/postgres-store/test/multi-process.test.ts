import { readFileSync } from 'node:fs';
import { createCountersign } from '@countersign/core';
import { afterEach, describe, expect, test } from 'vitest';
import { createPostgresStore } from '../src/index.js';
import { killChildren, spawnChild } from './children.js';
import { policy } from './fixtures/policy.js';
import { PG_URL, storeWithRunLog } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const setup = () => storeWithRunLog(cleanups);

function ranLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

describe('separate processes sharing one schema', () => {
  for (const mode of [
    { name: 'LISTEN/NOTIFY (agent polls every 30s)', notifications: true, pollInterval: '30s' },
    { name: 'polling only (notifications: false, 50ms)', notifications: false, pollInterval: '50ms' },
  ] as const) {
    test(`process A waits, process B approves, A resumes promptly: ${mode.name}`, async () => {
      const { store, ranFile } = await setup();
      const jobs = [{ key: 'release-1', sessionId: 'sess_a' }];
      const agent = spawnChild('agent', { url: PG_URL, schema: store.schema, ...mode, jobs, ranFile });
      const decider = spawnChild('decider', {
        url: PG_URL,
        schema: store.schema,
        approver: 'user:bob',
        once: true,
      });
      const decided = await decider.waitFor((e) => e.event === 'decided');
      const ran = await agent.waitFor((e) => e.event === 'ran');
      const latencyMs = (ran.at as number) - (decided.at as number);
      expect(ran.requestId).toBe(decided.requestId);
      expect(latencyMs).toBeLessThan(2_000);
      console.info(`${mode.name}: action ran ${latencyMs}ms after the other process approved`);
      expect((await agent.exited).code).toBe(0);
      expect((await decider.exited).code).toBe(0);
      expect(ranLines(ranFile)).toHaveLength(1);
      expect((await store.getRequest(ran.requestId as string))?.status).toBe('executed');
    });
  }

  test('an agent killed while waiting resumes under the same idempotency key and runs the action once', async () => {
    const { store, ranFile } = await setup();
    const config = {
      url: PG_URL,
      schema: store.schema,
      notifications: true,
      pollInterval: '30s',
      jobs: [{ key: 'release-2', sessionId: 'sess_b' }],
      ranFile,
    };
    const first = spawnChild('agent', config);
    const requested = await first.waitFor((e) => e.event === 'requested');
    first.process.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = spawnChild('agent', config);
    await second.waitFor((e) => e.event === 'ready');
    const approver = createCountersign({
      store: createPostgresStore({ connectionString: PG_URL, schema: store.schema }),
      policy,
    });
    cleanups.push(() => approver.close());
    await approver.decide(requested.requestId as string, { approver: 'user:carol', outcome: 'approve' });
    const ran = await second.waitFor((e) => e.event === 'ran');
    expect(ran.requestId).toBe(requested.requestId);
    expect((await second.exited).code).toBe(0);
    expect(second.events.some((e) => e.event === 'requested')).toBe(false);

    const third = spawnChild('agent', config);
    const result = await third.waitFor((e) => e.event === 'result');
    expect(result.outcome).toBe('already_started');
    expect(ranLines(ranFile)).toEqual([`release-2 ${second.process.pid}`]);
    expect((await approver.getRequest(requested.requestId as string))?.status).toBe('executed');
    expect((await approver.audit.verify()).ok).toBe(true);
  });

  test('4 agents x 50 concurrent guards and 2 racing deciders: each action and grant used once, one valid chain', async () => {
    const { store, ranFile } = await setup();
    const agents = Array.from({ length: 4 }, (_, p) => {
      const shared = Array.from({ length: 25 }, (_, i) => ({ key: `shared-${i}`, sessionId: 'sess_shared' }));
      const own = Array.from({ length: 25 }, (_, i) => ({ key: `p${p}-${i}`, sessionId: `sess_p${p}` }));
      return spawnChild('agent', {
        url: PG_URL,
        schema: store.schema,
        notifications: true,
        pollInterval: '250ms',
        jobs: [...shared, ...own],
        ranFile,
      });
    });
    const deciders = ['user:bob', 'user:carol'].map((approver) =>
      spawnChild('decider', { url: PG_URL, schema: store.schema, approver }),
    );
    for (const agent of agents) expect((await agent.exited).code).toBe(0);
    for (const decider of deciders) decider.process.kill('SIGTERM');
    const summaries = await Promise.all(deciders.map((d) => d.waitFor((e) => e.event === 'summary')));

    const expectedKeys = 25 + 4 * 25;
    const lines = ranLines(ranFile).map((line) => line.split(' ')[0]);
    expect(lines).toHaveLength(expectedKeys);
    expect(new Set(lines).size).toBe(expectedKeys);

    const results = agents.flatMap((agent) => agent.events.filter((e) => e.event === 'result'));
    expect(results).toHaveLength(200);
    expect(results.filter((r) => r.outcome === 'ran')).toHaveLength(expectedKeys);
    expect(results.filter((r) => r.outcome !== 'ran').every((r) => r.outcome === 'already_started')).toBe(
      true,
    );
    const runs = agents.flatMap((agent) => agent.events.filter((e) => e.event === 'ran'));
    expect(runs.every((run) => run.again === 'refused')).toBe(true);

    expect(summaries.reduce((sum, s) => sum + (s.decided as number), 0)).toBe(expectedKeys);
    const audit = createCountersign({ store, policy });
    const entries = [];
    for (let after = 0; ; ) {
      const page = await store.readAudit(after, 1000);
      entries.push(...page);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.seq;
    }
    // The outcome entry records when its grant was consumed.
    const consumed = entries
      .filter((e) => e.type === 'executed' && e.consumedAt !== null)
      .map((e) => e.grantId);
    expect(consumed).toHaveLength(expectedKeys);
    expect(new Set(consumed).size).toBe(expectedKeys);
    expect(entries.filter((e) => e.type === 'approved')).toHaveLength(expectedKeys);
    expect(entries.filter((e) => e.type === 'executed')).toHaveLength(expectedKeys);
    expect(await store.listRequests({ status: 'pending', limit: 1000 })).toHaveLength(0);
    expect(await audit.audit.verify()).toMatchObject({ ok: true, entries: entries.length });
    console.info(
      `contention: ${entries.length} audit entries, deciders won ${summaries.map((s) => s.decided).join('/')}`,
    );
  }, 45_000);
});
