// The memory store through the pause-and-resume conformance suite, and core bugs it led to.
import { type Countersign, createCountersign, describeOutcome, isCountersignError } from '@countersign/core';
import { createTestClock, runPauseResumeConformance } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import { createMemoryStore } from '../src/index.js';

runPauseResumeConformance({ describe, test, expect }, { create: () => createMemoryStore() });

const ACTION = { name: 'deploy', resource: 'prod/api', params: { version: '1.2.3' } };
const CONTEXT = {
  actor: 'agent:deployer',
  onBehalfOf: 'user:alice',
  reason: 'ship the release Alice asked for',
  sessionId: 'sess_1',
  idempotencyKey: 'call_0',
};

function setup() {
  const clock = createTestClock();
  const cs = createCountersign({
    store: createMemoryStore(),
    clock,
    transports: [],
    policy: [
      {
        id: 'deploys',
        match: { action: 'deploy' },
        effect: 'require_approval',
        approvers: { users: ['user:bob', 'user:carol'] },
        grantTtl: '60s',
      },
    ],
  });
  return { cs, clock };
}

async function approved(cs: Countersign): Promise<string> {
  const opened = await cs.open(ACTION, CONTEXT);
  if (opened.status !== 'pending') throw new Error(`expected pending, got ${opened.status}`);
  await cs.decide(opened.requestId, { approver: 'user:bob', outcome: 'approve' });
  return opened.requestId;
}

const resume = (cs: Countersign, context: Partial<typeof CONTEXT> = {}) =>
  cs.guard({ ...ACTION, run: () => 'ran' }, { ...CONTEXT, ...context, wait: false }).catch((e: unknown) => e);

// Two core bugs this suite found (#11), fixed in core; these keep them fixed.
describe('core, resuming', () => {
  test('a resume on behalf of someone else is an idempotency_conflict naming onBehalfOf', async () => {
    const { cs } = setup();
    await approved(cs);
    // Before the fix: re-attached silently while pending, then refused as corrupt_record (transient to a model).
    const error = await resume(cs, { onBehalfOf: 'user:dave' });
    expect(isCountersignError(error, 'idempotency_conflict')).toBe(true);
    expect((error as { differs?: string[] }).differs).toContain('onBehalfOf');
  });

  test('an approval that lapsed unused is not described to the model as never approved', async () => {
    const { cs, clock } = setup();
    await approved(cs);
    await clock.advance(15 * 60_000 + 1_000);
    const error = await resume(cs);
    expect(isCountersignError(error, 'approval_expired')).toBe(true);
    // Before the fix: "Nobody approved this action in time", though a person did.
    expect(describeOutcome(error).message).not.toContain('Nobody approved');
  });
});
