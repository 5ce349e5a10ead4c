// A vote is checked at decide() against who may approve now, as the guard checks it before running.
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { createCountersign, ErrorCode, type OnCallResolver } from '../src/index.js';
import type { PolicyRule } from '../src/model/rule.js';
import { createTestClock } from '../src/testing/index.js';
import { CONTEXT, DIRECTORY } from './helpers.js';

const MINUTE = 60_000;
const RULE: PolicyRule = {
  id: 'deploys',
  match: { action: 'infra.deploy' },
  effect: 'require_approval',
  approvers: { users: ['user:bob', 'user:carol'] },
  requestTtl: '1h',
  escalateAfter: '20m',
  escalateTo: { onCall: 'schedule:S1' },
};
const DEPLOY = { name: 'infra.deploy', params: { service: 'api' } };

/** An on-call rota whose people the test changes. */
function rota(first: string[]) {
  let onCall = first;
  let lookups = 0;
  const resolver: OnCallResolver = {
    name: 'rota',
    resolve: async () => {
      lookups += 1;
      return onCall;
    },
  };
  return {
    resolver,
    hand: (next: string[]) => {
      onCall = next;
    },
    lookups: () => lookups,
  };
}

/** A request escalated to whoever is on call, opened without waiting. */
async function escalated(onCall: ReturnType<typeof rota>) {
  const store = createMemoryStore();
  const clock = createTestClock();
  const cs = createCountersign({
    store,
    policy: [RULE],
    directory: DIRECTORY,
    clock,
    onCall: onCall.resolver,
    // No transports: the tests decide through decide(), so the no-transports notice would be noise.
    logger: null,
  });
  const opened = await cs.open(DEPLOY, CONTEXT);
  if (opened.status !== 'pending') throw new Error('expected a pending request');
  await clock.advance(21 * MINUTE);
  await cs.followUp();
  const request = (await cs.getRequest(opened.requestId))!;
  expect(request.approvers).toEqual(['user:bob', 'user:carol', 'user:erin']);
  return { cs, store, clock, request };
}

let runs = 0;
const runDeploy = (cs: ReturnType<typeof createCountersign>, requestId: string) =>
  cs
    .guard(
      {
        ...DEPLOY,
        run: () => {
          runs += 1;
          return 'ran';
        },
      },
      { ...CONTEXT, requestId },
    )
    .catch((error: unknown) => error);

describe('escalated approvers vote only while they are on call (#22)', () => {
  test('rotated off, their vote is refused at decide(), audited, and the request stays usable', async () => {
    const onCall = rota(['user:erin']);
    const { cs, store, request } = await escalated(onCall);
    onCall.hand(['user:frank']);
    const before = await store.readAudit(0, 1000);

    const refused = await cs
      .decide(request.id, { approver: 'user:erin', outcome: 'approve' })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: ErrorCode.NotEligible });
    // Nothing written but the refusal: the request is as it was.
    expect(await cs.getRequest(request.id)).toEqual(request);
    const written = (await store.readAudit(0, 1000)).slice(before.length);
    expect(written.map((entry) => [entry.type, entry.approver, entry.detail])).toEqual([
      ['refused', 'user:erin', 'not an eligible approver'],
    ]);

    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    runs = 0;
    expect(await runDeploy(cs, request.id)).toBe('ran');
    expect(runs).toBe(1);
    expect(await runDeploy(cs, request.id)).toMatchObject({ code: ErrorCode.AlreadyStarted });
    expect(runs).toBe(1);
    await cs.close();
  });

  test('still on call, their vote counts and the action runs', async () => {
    const onCall = rota(['user:erin']);
    const { cs, request } = await escalated(onCall);
    await cs.decide(request.id, { approver: 'user:erin', outcome: 'approve' });
    runs = 0;
    expect(await runDeploy(cs, request.id)).toBe('ran');
    expect(runs).toBe(1);
    await cs.close();
  });

  test('the rule’s own approvers vote without an on-call lookup', async () => {
    const onCall = rota(['user:erin']);
    const { cs, request } = await escalated(onCall);
    const lookups = onCall.lookups();
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    expect(onCall.lookups()).toBe(lookups);
    await cs.close();
  });

  test('the same refusal in a batch', async () => {
    const onCall = rota(['user:erin']);
    const { cs, request } = await escalated(onCall);
    onCall.hand([]);
    const refused = await cs
      .decideBatch({
        approver: 'user:erin',
        outcome: 'approve',
        requests: [{ id: request.id, paramsHash: request.action.paramsHash }],
      })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: ErrorCode.BatchRefused });
    expect(String((refused as Error).message)).toContain('not an eligible approver');
    expect((await cs.getRequest(request.id))?.decisions).toEqual([]);
    await cs.close();
  });

  test('a process without the request’s rule (an approval server started without the policy) checks the record’s approvers', async () => {
    const onCall = rota(['user:erin']);
    const { cs, store, request } = await escalated(onCall);
    const server = createCountersign({ store, policy: [], clock: createTestClock() });
    await server.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    expect((await server.getRequest(request.id))?.status).toBe('approved');
    await expect(
      server.decide(request.id, { approver: 'user:mallory', outcome: 'approve' }),
    ).rejects.toThrow();
    await cs.close();
  });
});
