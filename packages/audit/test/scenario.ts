// A countersign run that writes every kind of audit entry, for the export tests.
import {
  type AuditEntry,
  type Countersign,
  createCountersign,
  type Transport,
  type TransportHost,
} from '@countersign/core';
import { createTestClock } from '@countersign/core/testing';
import { createMemoryStore } from '@countersign/memory-store';

const context = {
  actor: 'agent:report-bot',
  onBehalfOf: 'user:alice',
  reason: 'Q3 report',
  sessionId: 'sess_1',
};

let host: TransportHost | null = null;

/** Delivers every request except those for `prod/unreachable`; keeps its host to record refusals. */
const transport: Transport = {
  name: 'test',
  start: async (started) => {
    host = started;
  },
  deliver: async (request) => {
    if (request.action.resource === 'prod/unreachable') throw new Error('channel not found');
    return { id: request.id };
  },
};

function nextRequest(cs: Countersign): Promise<string> {
  return new Promise((resolve) => cs.once('delivered', (event) => resolve(event.entry.requestId!)));
}

/** Runs allow, policy deny, a failing action, approve (with a refused click and a refused grant replay), deny, expiry, cancel and a failed delivery. */
export async function everyEntryType(): Promise<{ cs: Countersign; entries: AuditEntry[] }> {
  const clock = createTestClock();
  const cs = createCountersign({
    store: createMemoryStore(),
    clock,
    transports: [transport],
    directory: { 'user:bob': { groups: ['owners'] }, 'user:carol': { groups: ['owners'] } },
    policy: [
      { id: 'reads-ok', match: { action: 'db.read' }, effect: 'allow' },
      { id: 'no-iam', match: { action: 'iam.*' }, effect: 'deny' },
      {
        id: 'exports-need-one',
        match: { action: 'db.export' },
        effect: 'require_approval',
        approvers: { groups: ['owners'] },
        requestTtl: '5m',
      },
    ],
  });
  const params = { table: 'customers' };
  const exportCall = (resource: string, run: (token: string) => unknown = () => 'ok', signal?: AbortSignal) =>
    cs.guard(
      { name: 'db.export', resource, params, run: (grant) => run(grant.token) },
      { ...context, ...(signal ? { signal } : {}) },
    );

  await cs.guard({ name: 'db.read', resource: 'prod/customers', params, run: () => 1 }, context);
  await cs.guard({ name: 'iam.grant', resource: 'prod', params: {}, run: () => 1 }, context).catch(() => {});
  const broken = () => {
    throw new Error('disk full');
  };
  await cs
    .guard({ name: 'db.read', resource: 'prod/customers', params, run: broken }, context)
    .catch(() => {});

  let pending = nextRequest(cs);
  const approved = exportCall('prod/customers', async (token) => {
    const check = { name: 'db.export', resource: 'prod/customers', params, sessionId: context.sessionId };
    await cs.grants.consume(token, check);
    await cs.grants.consume(token, check).catch(() => {});
    return 'exported';
  });
  let id = await pending;
  await host!.recordRefusal(id, { approver: 'user:mallory', via: 'test', why: 'not in the directory' });
  await cs.decide(id, { approver: 'user:bob', outcome: 'approve', comment: 'fine', via: 'test' });
  await approved;

  pending = nextRequest(cs);
  const denied = exportCall('prod/customers').catch(() => {});
  id = await pending;
  await cs.decide(id, { approver: 'user:carol', outcome: 'deny', comment: 'not today', via: 'test' });
  await denied;

  pending = nextRequest(cs);
  const expired = exportCall('prod/customers').catch(() => {});
  await pending;
  await clock.advance(6 * 60_000);
  await expired;

  const abort = new AbortController();
  pending = nextRequest(cs);
  const cancelled = exportCall('prod/customers', undefined, abort.signal).catch(() => {});
  await pending;
  abort.abort();
  await cancelled;

  await exportCall('prod/unreachable').catch(() => {});
  return { cs, entries: await cs.audit.entries(0, 1_000) };
}
