// A countersign run that writes every kind of audit entry, for the export tests.
import {
  type AuditDraft,
  type AuditEntry,
  type Countersign,
  createCountersign,
  type GrantRecord,
  type Store,
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

/**
 * The memory store, listing the grants left unrevoked as a sweeper needs (`listUnrevokedGrants`),
 * from the grants created through it: the scenario's crash needs it whether or not the memory store has it.
 */
function sweepableStore(): Store {
  const store = createMemoryStore();
  const tokenHashes: string[] = [];
  const listUnrevokedGrants: Store['listUnrevokedGrants'] = async ({ expiresAtOrBefore, limit }) => {
    const grants = await Promise.all(tokenHashes.map((hash) => store.getGrantByTokenHash(hash)));
    return grants
      .filter((g): g is GrantRecord => g !== null && g.revokedAt === null && g.expiresAt <= expiresAtOrBefore)
      .sort((a, b) => a.expiresAt - b.expiresAt)
      .slice(0, limit);
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'listUnrevokedGrants') return listUnrevokedGrants;
      if (property === 'createGrant') {
        return (grant: GrantRecord, audit: readonly AuditDraft[]) => {
          tokenHashes.push(grant.tokenHash);
          return target.createGrant(grant, audit);
        };
      }
      if (property === 'updateRequestAndCreateGrant') {
        return (...args: Parameters<NonNullable<Store['updateRequestAndCreateGrant']>>) => {
          tokenHashes.push(args[2].tokenHash);
          return target.updateRequestAndCreateGrant!(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function nextRequest(cs: Countersign): Promise<string> {
  return new Promise((resolve) => cs.once('delivered', (event) => resolve(event.entry.requestId!)));
}

/**
 * Runs allow (its grant consumed), policy deny, a failing action, approve (with a refused click, a
 * grant consumed by another process and a refused replay), a two-vote approval, deny, expiry,
 * cancel, a failed delivery, and an allowed action that outlives its grant and is swept.
 */
export async function everyEntryType(): Promise<{ cs: Countersign; entries: AuditEntry[] }> {
  const clock = createTestClock();
  const store = sweepableStore();
  const cs = createCountersign({
    store,
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
      {
        id: 'drops-need-two',
        match: { action: 'db.drop' },
        effect: 'require_approval',
        approvers: { groups: ['owners'] },
        quorum: 2,
        requestTtl: '5m',
      },
    ],
  });
  // A resource checking grants with its own instance on the same store: another process to core.
  // Its warning that it has no transports is expected here.
  const resource = createCountersign({ store, clock, policy: [], logger: { warn: () => {} } });
  const params = { table: 'customers' };
  const check = (name: string) => ({
    name,
    resource: 'prod/customers',
    params,
    sessionId: context.sessionId,
  });
  const exportCall = (resource: string, run: (token: string) => unknown = () => 'ok', signal?: AbortSignal) =>
    cs.guard(
      { name: 'db.export', resource, params, run: (grant) => run(grant.token) },
      { ...context, ...(signal ? { signal } : {}) },
    );

  await cs.guard(
    {
      name: 'db.read',
      resource: 'prod/customers',
      params,
      run: async (grant) => {
        await clock.advance(1_000);
        await cs.grants.consume(grant.token, check('db.read'));
        await clock.advance(1_000);
      },
    },
    context,
  );
  await cs.guard({ name: 'iam.grant', resource: 'prod', params: {}, run: () => 1 }, context).catch(() => {});
  const broken = () => {
    throw new Error('disk full');
  };
  await cs
    .guard({ name: 'db.read', resource: 'prod/customers', params, run: broken }, context)
    .catch(() => {});

  let pending = nextRequest(cs);
  const approved = exportCall('prod/customers', async (token) => {
    await resource.grants.consume(token, check('db.export'));
    await cs.grants.consume(token, check('db.export')).catch(() => {});
    return 'exported';
  });
  let id = await pending;
  await host!.recordRefusal(id, { approver: 'user:mallory', via: 'test', why: 'not in the directory' });
  await cs.decide(id, { approver: 'user:bob', outcome: 'approve', comment: 'fine', via: 'test' });
  await approved;

  pending = nextRequest(cs);
  const dropped = cs.guard(
    { name: 'db.drop', resource: 'prod/customers', params, run: () => 'dropped' },
    context,
  );
  id = await pending;
  await cs.decide(id, { approver: 'user:bob', outcome: 'approve', via: 'test' });
  await cs.decide(id, { approver: 'user:carol', outcome: 'approve', comment: 'second', via: 'test' });
  await dropped;

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

  // Consumed, then running past its grant's lifetime: as if its process had stopped, a sweeper
  // revokes the grant with its consumption; the outcome, recorded late, follows.
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started = () => {};
  const consumed = new Promise<void>((resolve) => {
    started = resolve;
  });
  const stalled = cs.guard(
    {
      name: 'db.read',
      resource: 'prod/customers',
      params,
      run: async (grant) => {
        await cs.grants.consume(grant.token, check('db.read'));
        started();
        await released;
      },
    },
    context,
  );
  await consumed;
  await clock.advance(2 * 60_000);
  await resource.sweep();
  release();
  await stalled;
  // Not closed: closing an instance closes its store, which `cs` still uses.
  return { cs, entries: await cs.audit.entries(0, 1_000) };
}
