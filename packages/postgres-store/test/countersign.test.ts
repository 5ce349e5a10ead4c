import { type Countersign, createCountersign, type Duration } from '@countersign/core';
import { sampleRequest } from '@countersign/core/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/index.js';
import { policy } from './fixtures/policy.js';
import { dropSchema, freshStore, PG_URL } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function pair(notifications: boolean, agentPoll: Duration) {
  const first = await freshStore({ notifications });
  cleanups.push(() => dropSchema(first.schema));
  const agent = createCountersign({ store: first, policy, pollInterval: agentPoll });
  const second = createPostgresStore({ connectionString: PG_URL, schema: first.schema, notifications });
  const approver = createCountersign({ store: second, policy });
  cleanups.push(async () => {
    await agent.close();
    await approver.close();
  });
  return { agent, approver, store: first };
}

function nextRequestId(cs: Countersign): Promise<string> {
  return new Promise((resolve) => cs.once('requested', (event) => resolve(event.request!.id)));
}

async function guardThenApprove(agent: Countersign, approver: Countersign) {
  const requested = nextRequestId(agent);
  let ranAt = 0;
  const guarded = agent.guard(
    {
      name: 'deploy',
      resource: 'prod/api',
      params: { version: '1.2.3' },
      run: () => {
        ranAt = performance.now();
        return 'deployed';
      },
    },
    { actor: 'agent:deployer', reason: 'release 1.2.3', sessionId: 'sess_1' },
  );
  const requestId = await requested;
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(ranAt).toBe(0);
  const decision = await approver.decide(requestId, { approver: 'user:bob', outcome: 'approve' });
  const decidedAt = performance.now();
  expect(decision.request.status).toBe('approved');
  expect(await guarded).toBe('deployed');
  return { requestId, latencyMs: ranAt - decidedAt };
}

describe('two countersign instances sharing one schema', () => {
  test('with notifications, the waiting guard wakes on NOTIFY long before its 30s poll', async () => {
    const { agent, approver } = await pair(true, '30s');
    const { requestId, latencyMs } = await guardThenApprove(agent, approver);
    expect(latencyMs).toBeLessThan(2_000);
    expect((await approver.getRequest(requestId))?.status).toBe('executed');
    expect((await approver.audit.verify()).ok).toBe(true);
    const types = (await approver.audit.entries()).map((entry) => entry.type);
    expect(types).toEqual(['requested', 'approved', 'granted', 'executed']);
  });

  test('with notifications: false, the waiting guard resumes by polling', async () => {
    const { agent, approver, store } = await pair(false, '50ms');
    expect(store.subscribe).toBeUndefined();
    const { requestId, latencyMs } = await guardThenApprove(agent, approver);
    expect(latencyMs).toBeLessThan(2_000);
    expect((await agent.getRequest(requestId))?.status).toBe('executed');
    expect((await agent.audit.verify()).ok).toBe(true);
  });

  test("core's sweep() expires overdue requests through listRequests", async () => {
    const { approver, store } = await pair(true, '1s');
    const overdue = sampleRequest({ expiresAt: Date.now() - 1_000 });
    await (store as PostgresStore).createRequest(overdue, []);
    expect(await approver.sweep()).toBe(1);
    expect((await approver.getRequest(overdue.id))?.status).toBe('expired');
    expect(await approver.sweep()).toBe(0);
  });
});
