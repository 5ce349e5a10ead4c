import {
  type Clock,
  type Countersign,
  type CountersignOptions,
  createCountersign,
  type GuardContext,
  type PolicyRule,
  systemClock,
  type TimerHandle,
} from '@countersign/core';
import { createMemoryStore, type MemoryStoreRetention } from '@countersign/memory-store';

/** The README's policy: one allow rule, one approval rule, one deny rule. */
export const POLICY: PolicyRule[] = [
  { id: 'reads-ok', match: { action: 'db.read*' }, effect: 'allow' },
  {
    id: 'exports-need-one',
    match: { action: 'db.export', resource: 'prod/*' },
    effect: 'require_approval',
    approvers: { groups: ['data-owners'] },
    quorum: 1,
    requestTtl: '15m',
    grantTtl: '60s',
  },
  { id: 'no-escalation', match: { action: 'iam.*' }, effect: 'deny' },
];

export const DIRECTORY = {
  'user:bob': { groups: ['data-owners'] },
  'user:carol': { groups: ['data-owners'] },
};

export const CONTEXT: GuardContext = {
  actor: 'agent:report-bot',
  onBehalfOf: 'user:alice',
  reason: 'Alice asked for the Q3 churn report',
  sessionId: 'sess_42',
};

export const READ = {
  name: 'db.read',
  resource: 'prod/customers',
  params: { table: 'customers', limit: 10 },
};
export const EXPORT = {
  name: 'db.export',
  resource: 'prod/customers',
  params: { table: 'customers', format: 'csv' },
};

/** Bounded so a benchmark that runs for seconds does not measure a growing heap. */
export const BENCH_RETENTION: MemoryStoreRetention = {
  maxAuditEntries: 100_000,
  maxSettledRequests: 10_000,
  maxFinishedGrants: 10_000,
};

export function createBenchCountersign(overrides: Partial<CountersignOptions> = {}): Countersign {
  return createCountersign({
    store: createMemoryStore({ retention: BENCH_RETENTION }),
    directory: DIRECTORY,
    policy: POLICY,
    ...overrides,
  });
}

/** The allow path end to end: the action consumes its grant, as a resource server would. */
export function guardedRead(cs: Countersign): () => Promise<number> {
  const action = {
    ...READ,
    run: async (grant: { token: string }) => {
      await cs.grants.consume(grant.token, { ...READ, sessionId: CONTEXT.sessionId });
      return 1;
    },
  };
  return () => cs.guard(action, CONTEXT);
}

export interface CountingClock extends Clock {
  /** Timers set and neither fired nor cleared. */
  live(): number;
  readonly counts: { set: number; cleared: number; fired: number };
}

/** The system clock, counting timers so a case can prove none are left behind. */
export function createCountingClock(): CountingClock {
  const live = new Set<TimerHandle>();
  const counts = { set: 0, cleared: 0, fired: 0 };
  return {
    counts,
    now: () => systemClock.now(),
    setTimeout(callback, ms) {
      counts.set += 1;
      const handle: TimerHandle = systemClock.setTimeout(() => {
        counts.fired += 1;
        live.delete(handle);
        callback();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      if (live.delete(handle)) counts.cleared += 1;
      systemClock.clearTimeout(handle);
    },
    live: () => live.size,
  };
}

/**
 * countersign's policy semantics in casbin terms, for the casbin baselines: the first matching
 * rule decides (priority effect) and `*` globs match like countersign's (keyMatch).
 */
export const CASBIN_MODEL = `
[request_definition]
r = sub, obj, act
[policy_definition]
p = sub, obj, act, eft
[policy_effect]
e = priority(p.eft) || deny
[matchers]
m = keyMatch(r.sub, p.sub) && keyMatch(r.obj, p.obj) && keyMatch(r.act, p.act)
`;
