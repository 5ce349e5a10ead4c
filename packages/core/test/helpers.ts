import { createMemoryStore } from '@countersign/memory-store';
import { type Countersign, type CountersignOptions, createCountersign, type Store } from '../src/index.js';
import type { GuardAction, GuardContext } from '../src/model/call.js';
import type { PolicyRule } from '../src/model/rule.js';
import { createRecordingTransport, createTestClock } from '../src/testing/index.js';

export const POLICY: PolicyRule[] = [
  { id: 'reads-ok', match: { action: 'db.read*' }, effect: 'allow' },
  {
    id: 'exports-need-two',
    match: { action: 'db.export', resource: 'prod/*' },
    effect: 'require_approval',
    approvers: { groups: ['data-owners'] },
    quorum: 2,
    requestTtl: '15m',
    grantTtl: '60s',
    risk: 'high',
  },
  {
    id: 'deploys-need-one',
    match: { action: 'infra.deploy' },
    effect: 'require_approval',
    approvers: { users: ['user:bob', 'user:alice', 'user:carol'] },
  },
  { id: 'no-escalation', match: { action: 'iam.*' }, effect: 'deny' },
];

export const DIRECTORY = {
  'user:bob': { groups: ['data-owners'] },
  'user:carol': { groups: ['data-owners'] },
  'user:dave': { groups: ['data-owners'] },
  'user:alice': { groups: ['data-owners', 'admins'] },
  'user:mallory': { groups: ['interns'] },
};

export const CONTEXT: GuardContext = {
  actor: 'agent:report-bot',
  onBehalfOf: 'user:alice',
  reason: 'Alice asked for the Q3 churn report',
  sessionId: 'sess_42',
};

export const EXPORT = {
  name: 'db.export',
  resource: 'prod/customers',
  params: { table: 'customers', format: 'csv' },
};

export function setup(overrides: Partial<CountersignOptions> = {}) {
  const clock = createTestClock();
  const transport = createRecordingTransport();
  const store: Store = overrides.store ?? createMemoryStore();
  const cs = createCountersign({
    store,
    transports: [transport],
    directory: DIRECTORY,
    policy: POLICY,
    clock,
    ...overrides,
  });
  const auditTypes = async () => (await cs.audit.entries()).map((entry) => entry.type);
  return { cs, clock, transport, store, auditTypes };
}

/** Lets promise chains run without moving the test clock. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The same store with some methods replaced; every other call reaches the real store unchanged. */
export function overrideStore(store: Store, overrides: Partial<Record<keyof Store, unknown>>): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Store];
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Starts a guard whose action only notes that it ran (default: the export). `outcome` resolves to
 * the result or the error, so tests can assert both that it failed and that nothing ran.
 */
export function attempt(
  cs: Countersign,
  action: Partial<GuardAction<unknown>> = EXPORT,
  context: GuardContext = CONTEXT,
) {
  let ran = false;
  const outcome = cs
    .guard(
      {
        name: 'unset',
        run: () => {
          ran = true;
          return 'ran';
        },
        // Last, so a test can pass a malformed `run` on purpose.
        ...action,
      },
      context,
    )
    .catch((error: unknown) => error);
  return { outcome, ran: () => ran };
}

/** Approves the next delivered request with the two approvals the export rule needs. */
export async function approveNextDelivery(
  cs: Countersign,
  transport: { nextDelivery(): Promise<{ id: string }> },
  clock: { flush(): Promise<void> },
): Promise<string> {
  const request = await transport.nextDelivery();
  await clock.flush();
  await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
  await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
  return request.id;
}
