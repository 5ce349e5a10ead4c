// The `requested` entry's detail: its exact text is part of the audit facts (and of the hash).
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { type ApprovalRequest, createCountersign } from '../src/index.js';
import { createTestClock } from '../src/testing/index.js';
import { attempt, DIRECTORY, POLICY, tick } from './helpers.js';

describe('the requested entry', () => {
  test('says how many of how many approvers are needed and when the request expires, as an ISO date', async () => {
    const cs = createCountersign({
      store: createMemoryStore(),
      directory: DIRECTORY,
      policy: POLICY,
      clock: createTestClock(),
      logger: null,
    });
    const opened = new Promise<ApprovalRequest>((resolve) =>
      cs.on('requested', (event) => resolve(event.request!)),
    );
    const { outcome } = attempt(cs);
    const request = await opened;
    await tick();
    const [entry] = await cs.audit.entries();
    expect(entry?.type).toBe('requested');
    expect(entry?.detail).toBe(
      `needs ${request.quorum} of ${request.approvers.length} eligible approvers; expires ${new Date(request.expiresAt).toISOString()}`,
    );
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'deny' });
    await outcome;
  });
});
