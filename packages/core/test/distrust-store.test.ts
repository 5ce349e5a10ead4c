import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import { type ApprovalRequest, ErrorCode, isCountersignError, type Store } from '../src/index.js';
import { attempt, CONTEXT, EXPORT, overrideStore, POLICY, setup } from './helpers.js';

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
    const { cs, clock } = setup({ store: forgingStore(forge) });
    const { outcome, ran } = attempt(cs, EXPORT, CONTEXT);
    // The guard created the request, so it reads it only when woken or at its next poll.
    await clock.advance(1_000);
    const error = await outcome;
    expect(isCountersignError(error, ErrorCode.CorruptRecord)).toBe(true);
    expect(ran()).toBe(false);
    const entries = await cs.audit.entries();
    expect(entries.map((entry) => entry.type)).toContain('refused');
    expect(entries.map((entry) => entry.type)).not.toContain('executed');
    // A forgery the delivery receipt wrote back is claimed without a read: its grant is revoked at once.
    const granted = entries.filter((entry) => entry.type === 'granted').map((entry) => entry.grantId);
    const revoked = entries.filter((entry) => entry.type === 'revoked').map((entry) => entry.grantId);
    expect(revoked).toEqual(granted);
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

describe('what a store method returns is checked, never trusted to be there (#22)', () => {
  const corrupt = (error: unknown) => isCountersignError(error, ErrorCode.CorruptRecord);
  // Awaiting reads `then`, so that one trap answers; every other read of the value throws.
  const trapping = <T extends object>(target: T) =>
    new Proxy(target, {
      get(_target, key) {
        if (key === 'then') return undefined;
        throw new Error('trap');
      },
      getPrototypeOf() {
        throw new Error('trap');
      },
    });

  test.each([
    ['null', null],
    ['no request', { created: true }],
    ['a created flag that is not a boolean', { created: 'yes', request: null }],
    ['a proxy whose traps throw', trapping({})],
  ])('createRequest answering %s: CorruptRecordError, nothing runs', async (_what, answer) => {
    const { cs } = setup({
      store: overrideStore(createMemoryStore(), { createRequest: async () => answer }),
    });
    const { outcome, ran } = attempt(cs);
    const error = await outcome;
    expect(corrupt(error)).toBe(true);
    expect((error as Error).message).toContain('createRequest result');
    expect(ran()).toBe(false);
  });

  test('createRequest saying it created the call but holding another request: CorruptRecordError', async () => {
    const memory = createMemoryStore();
    const { cs } = setup({
      store: overrideStore(memory, {
        createRequest: async (request: ApprovalRequest, audit: never[]) => {
          const result = await memory.createRequest(request, audit);
          return { ...result, request: { ...result.request, id: 'req_someone_else' } };
        },
      }),
    });
    const { outcome, ran } = attempt(cs);
    expect(corrupt(await outcome)).toBe(true);
    expect(ran()).toBe(false);
  });

  test('findRequestByIdempotencyKey answering something that is not a request: CorruptRecordError', async () => {
    const store = overrideStore(createMemoryStore(), { findRequestByIdempotencyKey: async () => 'req_x' });
    const { cs } = setup({ store });
    const { outcome, ran } = attempt(cs, EXPORT, { ...CONTEXT, idempotencyKey: 'k1' });
    expect(corrupt(await outcome)).toBe(true);
    expect(ran()).toBe(false);
    expect(await store.listRequests({ status: 'pending', limit: 10 })).toHaveLength(0);
  });

  test.each([
    ['null', null],
    ['an object', { entries: [] }],
    ['a proxy whose traps throw', trapping([])],
  ])(
    'readAudit answering %s: verify(), export() and entries() throw CorruptRecordError',
    async (_what, answer) => {
      const { cs } = setup({ store: overrideStore(createMemoryStore(), { readAudit: async () => answer }) });
      for (const read of [() => cs.audit.verify(), () => cs.audit.export(), () => cs.audit.entries()]) {
        const error = await read().catch((e: unknown) => e);
        expect(corrupt(error)).toBe(true);
        expect((error as Error).message).toContain('readAudit result');
      }
    },
  );

  test.each([
    ['null', null],
    ['an object', {}],
  ])('listRequests answering %s: sweep() and followUp() throw CorruptRecordError', async (_what, answer) => {
    const policy = POLICY.map((rule) =>
      rule.id === 'deploys-need-one' ? { ...rule, remindAfter: '1m' as const } : rule,
    );
    const { cs } = setup({
      policy,
      store: overrideStore(createMemoryStore(), { listRequests: async () => answer }),
    });
    for (const run of [() => cs.sweep(), () => cs.followUp()]) {
      const error = await run().catch((e: unknown) => e);
      expect(corrupt(error)).toBe(true);
      expect((error as Error).message).toContain('listRequests result');
    }
  });

  test('a record whose proxy traps throw is a CorruptRecordError, not a TypeError', async () => {
    const { cs } = setup({
      store: overrideStore(createMemoryStore(), { getRequest: async () => trapping({}) }),
    });
    expect(corrupt(await cs.getRequest('req_x').catch((e: unknown) => e))).toBe(true);
  });

  test.each([
    ['undefined', undefined],
    ['a word', 'revoked'],
    ['a grant missing its members', { id: 'grt_x' }],
  ])(
    'revokeGrant answering %s is never taken for a revocation: outcome not recorded, CorruptRecordError',
    async (_what, answer) => {
      const { cs } = setup({
        store: overrideStore(createMemoryStore(), { revokeGrant: async () => answer }),
      });
      const error = await cs
        .guard({ name: 'db.readTable', resource: 'prod/customers', params: {}, run: () => 'rows' }, CONTEXT)
        .catch((e: unknown) => e);
      expect(isCountersignError(error, ErrorCode.OutcomeNotRecorded)).toBe(true);
      const { recordError } = error as { recordError: unknown };
      expect(corrupt(recordError)).toBe(true);
    },
  );
});
