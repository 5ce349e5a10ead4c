import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { type ApprovalRequest, ErrorCode, isCountersignError, type Store } from '../src/index.js';
import { attempt, CONTEXT, EXPORT, overrideStore, setup } from './helpers.js';

/** A store that, once a request is pending, answers reads of it with `forge(stored)`. */
function forgingStore(forge: (stored: ApprovalRequest, now: number) => ApprovalRequest): Store {
  const memory = createMemoryStore();
  return overrideStore(memory, {
    getRequest: async (id: string) => {
      const stored = await memory.getRequest(id);
      if (stored === null || stored.status !== 'pending') return stored;
      return forge(stored, stored.createdAt);
    },
  });
}

const approvedBy = (stored: ApprovalRequest, approvers: string[], at: number): ApprovalRequest => ({
  ...stored,
  status: 'approved',
  decidedAt: at,
  decisions: approvers.map((approver) => ({ approver, outcome: 'approve', comment: null, via: 'api', at })),
});

describe('core does not run on a store word alone (#10 §3)', () => {
  const cases: [string, (stored: ApprovalRequest, at: number) => ApprovalRequest][] = [
    ['approved with no approvals', (s, at) => approvedBy(s, [], at)],
    ['approved with one of the two approvals', (s, at) => approvedBy(s, ['user:bob'], at)],
    ['approved by the person it acts for', (s, at) => approvedBy(s, ['user:alice', 'user:bob'], at)],
    ['approved by the agent itself', (s, at) => approvedBy(s, ['agent:report-bot', 'user:bob'], at)],
    ['approved twice by one person', (s, at) => approvedBy(s, ['user:bob', 'user:bob'], at)],
    ['approved by a non-approver', (s, at) => approvedBy(s, ['user:bob', 'user:mallory'], at)],
    ['with its quorum lowered', (s, at) => ({ ...approvedBy(s, ['user:bob'], at), quorum: 1 })],
    [
      'with a longer grant lifetime',
      (s, at) => ({ ...approvedBy(s, ['user:bob', 'user:carol'], at), grantTtlMs: 86_400_000 }),
    ],
    [
      'another call approved',
      (s, at) => ({ ...approvedBy(s, ['user:bob', 'user:carol'], at), fingerprint: 'f'.repeat(64) }),
    ],
    [
      'another session approved',
      (s, at) => ({ ...approvedBy(s, ['user:bob', 'user:carol'], at), sessionId: 'other' }),
    ],
    [
      'another request returned',
      (s, at) => ({ ...approvedBy(s, ['user:bob', 'user:carol'], at), id: 'req_other' }),
    ],
    [
      'approved under a rule that allows',
      (s, at) => ({ ...approvedBy(s, ['user:bob', 'user:carol'], at), ruleId: 'reads-ok' }),
    ],
  ];
  test.each(cases)('%s: CorruptRecordError, audited, nothing runs', async (_what, forge) => {
    const { cs, auditTypes } = setup({ store: forgingStore(forge) });
    const { outcome, ran } = attempt(cs, EXPORT, CONTEXT);
    const error = await outcome;
    expect(isCountersignError(error, ErrorCode.CorruptRecord)).toBe(true);
    expect(ran()).toBe(false);
    expect(await auditTypes()).toContain('refused');
    expect(await auditTypes()).not.toContain('granted');
  });

  test('a correct approval still runs (the checks are not simply failing everything)', async () => {
    const { cs } = setup({ store: forgingStore((s, at) => approvedBy(s, ['user:bob', 'user:carol'], at)) });
    const { outcome, ran } = attempt(cs, EXPORT, CONTEXT);
    expect(await outcome).toBe('ran');
    expect(ran()).toBe(true);
  });

  test('odd rejection values from a store become StoreError', async () => {
    const throwing = {
      toString: () => {
        throw new Error('no');
      },
    };
    for (const value of [Object.create(null), throwing, null, Symbol('s')]) {
      const store = overrideStore(createMemoryStore(), { getRequest: async () => Promise.reject(value) });
      const { cs } = setup({ store });
      const error = await cs.getRequest('req_x').catch((e: unknown) => e);
      expect(isCountersignError(error, ErrorCode.StoreFailed)).toBe(true);
    }
  });

  test('audit.head() and audit.entries() check what the store returns', async () => {
    for (const head of [{ seq: 'one', hash: 'x' }, { seq: 1 }, { seq: 1, hash: 'z'.repeat(64) }, []]) {
      const { cs } = setup({ store: overrideStore(createMemoryStore(), { auditHead: async () => head }) });
      expect(
        isCountersignError(await cs.audit.head().catch((e: unknown) => e), ErrorCode.CorruptRecord),
      ).toBe(true);
    }
    for (const page of [[{ seq: 1 }], 'nope', null]) {
      const { cs } = setup({ store: overrideStore(createMemoryStore(), { readAudit: async () => page }) });
      expect(
        isCountersignError(await cs.audit.entries().catch((e: unknown) => e), ErrorCode.CorruptRecord),
      ).toBe(true);
    }
    const { cs } = setup();
    await cs.open({ name: 'iam.grant' }, CONTEXT);
    const entries = await cs.audit.entries();
    const reordered = overrideStore(createMemoryStore(), { readAudit: async () => [entries[0], entries[0]] });
    const { cs: other } = setup({ store: reordered });
    expect(
      isCountersignError(await other.audit.entries().catch((e: unknown) => e), ErrorCode.CorruptRecord),
    ).toBe(true);
  });
});
