// The decide and consume paths' shortcuts: what core wrote and the store copied is not walked again; anything else still is.
import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  CorruptRecordError,
  type GrantRecord,
  type Store,
  SYNC_STORE,
  type SyncStoreMethods,
} from '../src/index.js';
import { approvalRequestShape } from '../src/model/approval.js';
import { frozenParts, ownCopy, plainRequest } from '../src/model/record-checks.js';
import { createRecordingTransport, sampleRequest } from '../src/testing/index.js';
import { CONTEXT, EXPORT, overrideStore, setup } from './helpers.js';

const READ = { name: 'db.read', resource: 'prod/customers', params: { table: 'customers', limit: 10 } };

/** A version as core writes it: decisions and receipts deep-frozen, the action deep-frozen as a call's is. */
function written() {
  const request = frozenParts(
    sampleRequest({
      decisions: [{ approver: 'user:bob', outcome: 'approve', comment: null, via: 'api', at: 1 }],
      deliveries: [{ transport: 'slack', ref: { ts: '1.2' }, at: 2 }],
    }),
  );
  request.action = deepFrozen(structuredClone(request.action));
  request.approvers = deepFrozen([...request.approvers]);
  return request;
}

function deepFrozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null)
    for (const member of Object.values(value)) deepFrozen(member);
  return Object.freeze(value);
}

describe('ownCopy: a store answer that is a frozen copy of the written version, member for member', () => {
  test('is taken as it is, and its parts are shared by later reads', () => {
    const next = written();
    const raw = Object.freeze({ ...next });
    expect(ownCopy(raw, next)).toBe(raw);
    expect(plainRequest(raw)).toBe(raw);
  });

  test('any one member that differs, for every member a request has, sends it to the check', () => {
    const next = written();
    const members = Object.keys(approvalRequestShape.members) as (keyof typeof next)[];
    expect(members.length).toBeGreaterThan(20);
    for (const key of members) {
      const value = next[key];
      const other =
        typeof value === 'object' && value !== null ? structuredClone(value) : `${String(value)}x`;
      const raw = Object.freeze({ ...next, [key]: other });
      expect(ownCopy(raw, next), key).toBeNull();
    }
  });

  test('an answer not frozen, with a member more, a part not frozen or a getter that throws is checked', () => {
    const next = written();
    expect(ownCopy({ ...next }, next)).toBeNull();
    expect(ownCopy(Object.freeze({ ...next, extra: 1 }), next)).toBeNull();
    const open = { ...next, decisions: [...next.decisions] };
    expect(ownCopy(Object.freeze({ ...open }), open)).toBeNull();
    const throwing = Object.freeze(
      Object.defineProperty({ ...next }, 'status', {
        enumerable: true,
        get() {
          throw new Error('trap');
        },
      }),
    );
    expect(ownCopy(throwing, next)).toBeNull();
  });
});

describe('decide still checks what the store answers when it is not what core wrote', () => {
  test('an updateRequest answer that differs from the write is a CorruptRecordError', async () => {
    const memory = createMemoryStore();
    const store = overrideStore(memory, {
      updateRequest: async (...args: Parameters<Store['updateRequest']>) => {
        const saved = await memory.updateRequest(...args);
        return saved === null ? null : Object.freeze({ ...saved, status: 'bogus' });
      },
    });
    const { cs, transport } = setup({ store });
    void cs.guard({ ...EXPORT, run: async () => 1 }, CONTEXT).catch(() => {});
    const request = await transport.nextDelivery();
    await expect(cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' })).rejects.toBeInstanceOf(
      CorruptRecordError,
    );
  });

  test('self-approval and a second vote are still refused once the usual vote takes the short path', async () => {
    const { cs, transport } = setup();
    const done = cs.guard({ ...EXPORT, run: async () => 1 }, CONTEXT);
    const request = await transport.nextDelivery();
    await expect(
      cs.decide(request.id, { approver: CONTEXT.actor, outcome: 'approve' }),
    ).rejects.toMatchObject({
      code: expect.any(String),
    });
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await expect(cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' })).rejects.toThrow();
    const types = (await cs.audit.entries()).map((entry) => entry.type);
    expect(types).toContain('refused');
    void done.catch(() => {});
  });
});

describe('grants.consume through the grant this process runs', () => {
  test('returns the consumed grant as the store holds it, frozen', async () => {
    const { cs, store } = setup();
    let consumed: GrantRecord | null = null;
    let tokenHash = '';
    await cs.guard(
      {
        ...READ,
        run: async (grant) => {
          consumed = await cs.grants.consume(grant.token, { ...READ, sessionId: CONTEXT.sessionId });
          tokenHash = consumed.tokenHash;
        },
      },
      CONTEXT,
    );
    expect(Object.isFrozen(consumed)).toBe(true);
    const stored = await store.getGrantByTokenHash(tokenHash);
    expect(consumed).toEqual({ ...stored, revokedAt: null });
    expect(consumed!.consumedAt).not.toBeNull();
  });

  test('a synchronous consumeGrant answer that is not this grant is checked: malformed is a CorruptRecordError', async () => {
    const store = createMemoryStore();
    const holder = store as unknown as Record<symbol, SyncStoreMethods>;
    const sync = holder[SYNC_STORE]!;
    holder[SYNC_STORE] = {
      ...sync,
      consumeGrant: (match, audit) => {
        const result = sync.consumeGrant(match, audit);
        return result === null ? null : ({ ...result, id: 42 } as unknown as GrantRecord);
      },
    };
    const { cs } = setup({ store });
    const error = await cs
      .guard(
        {
          ...READ,
          run: (grant) => cs.grants.consume(grant.token, { ...READ, sessionId: CONTEXT.sessionId }),
        },
        CONTEXT,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptRecordError);
  });
});

describe('transport updates after a decision', () => {
  test('every transport that delivered is told, in order; one that throws at once is a transport_error', async () => {
    const told: string[] = [];
    const first = createRecordingTransport('first');
    const broken = createRecordingTransport('broken');
    const third = createRecordingTransport('third');
    const firstUpdate = first.update!.bind(first);
    const approved = (request: { status: string; grantId: string | null }) =>
      request.status === 'approved' && request.grantId === null;
    first.update = (request, receipt) => {
      if (approved(request)) told.push('first');
      return firstUpdate(request, receipt);
    };
    broken.update = (request) => {
      if (approved(request)) told.push('broken');
      throw new Error('sync failure');
    };
    third.update = async (request) => {
      if (approved(request)) told.push('third');
      throw new Error('async failure');
    };
    const { cs } = setup({ transports: [first, broken, third] });
    const errors: unknown[] = [];
    cs.on('transport_error', (event) => errors.push(event.error));
    const done = cs.guard({ ...EXPORT, run: async () => 1 }, CONTEXT);
    const request = await first.nextDelivery();
    await third.nextDelivery();
    await cs.decide(request.id, { approver: 'user:bob', outcome: 'approve' });
    await cs.decide(request.id, { approver: 'user:carol', outcome: 'approve' });
    expect(told).toEqual(['first', 'broken', 'third']);
    expect(errors.map((e) => (e as Error).message)).toEqual(
      expect.arrayContaining(['sync failure', 'async failure']),
    );
    expect(first.updates.some((update) => update.request.decisions.length === 2)).toBe(true);
    void done.catch(() => {});
  });
});
