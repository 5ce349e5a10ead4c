import { createMemoryStore } from '@countersign/memory-store';
import { describe, expect, test } from 'vitest';
import {
  CorruptRecordError,
  type Grant,
  GrantRefusedError,
  OutcomeNotRecordedError,
  type Store,
  StoreError,
  SYNC_STORE,
  type SyncStoreMethods,
} from '../src/index.js';
import { sha256Hex } from '../src/lib/ids.js';
import { CONTEXT, setup } from './helpers.js';

const READ = { name: 'db.read', resource: 'prod/customers', params: { table: 'customers', limit: 10 } };

/** A memory store whose synchronous grant writes (the allow path's) are replaced as given. */
function storeWithSync(replace: (sync: SyncStoreMethods) => Partial<SyncStoreMethods>): Store {
  const store = createMemoryStore();
  const holder = store as unknown as Record<symbol, SyncStoreMethods>;
  const sync = holder[SYNC_STORE]!;
  holder[SYNC_STORE] = { ...sync, ...replace(sync) };
  return store;
}

describe('the allow path on a store with synchronous grant writes', () => {
  test('issues, consumes and revokes the grant in two entries, the consumption on the outcome', async () => {
    const { cs, store, auditTypes } = setup();
    let grant: Grant | null = null;
    await cs.guard(
      {
        ...READ,
        run: async (given) => {
          grant = given;
          await cs.grants.consume(given.token, { ...READ, sessionId: CONTEXT.sessionId });
        },
      },
      CONTEXT,
    );
    expect(await auditTypes()).toEqual(['allowed', 'executed']);
    const [, executed] = await cs.audit.entries();
    expect(executed!.consumedAt).not.toBeNull();
    expect(executed!.grantId).toBe(grant!.id);
    const stored = await store.getGrantByTokenHash(sha256Hex(grant!.token));
    expect(stored).toMatchObject({ id: grant!.id, consumedAt: executed!.consumedAt });
    expect(stored!.revokedAt).not.toBeNull();
    await expect(
      cs.grants.consume(grant!.token, { ...READ, sessionId: CONTEXT.sessionId }),
    ).rejects.toBeInstanceOf(GrantRefusedError);
  });

  test('a synchronous createGrant that throws fails closed: a StoreError, nothing runs or is audited', async () => {
    const store = storeWithSync(() => ({
      createGrant: () => {
        throw new Error('disk full');
      },
    }));
    const { cs, auditTypes } = setup({ store });
    let ran = false;
    const outcome = cs.guard({ ...READ, run: () => (ran = true) }, CONTEXT).catch((error: unknown) => error);
    expect(await outcome).toBeInstanceOf(StoreError);
    expect(ran).toBe(false);
    expect(await auditTypes()).toEqual([]);
  });

  test('a synchronous revokeGrant that throws: the action ran once, its outcome is not recorded', async () => {
    const store = storeWithSync(() => ({
      revokeGrant: () => {
        throw new Error('connection reset');
      },
    }));
    const { cs } = setup({ store });
    let runs = 0;
    const error = await cs.guard({ ...READ, run: () => runs++ }, CONTEXT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeNotRecordedError);
    expect((error as OutcomeNotRecordedError).recordError).toBeInstanceOf(StoreError);
    expect(runs).toBe(1);
  });

  test('a synchronous revokeGrant that returns a malformed record is a CorruptRecordError, never a revocation', async () => {
    const store = storeWithSync((sync) => ({
      revokeGrant: (id, now, audit) => {
        sync.revokeGrant(id, now, audit);
        return { id } as never;
      },
    }));
    const { cs } = setup({ store });
    const error = await cs.guard({ ...READ, run: () => 1 }, CONTEXT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeNotRecordedError);
    expect((error as OutcomeNotRecordedError).recordError).toBeInstanceOf(CorruptRecordError);
  });

  test('a revocation of another grant than the one asked is checked as any record, not taken on trust', async () => {
    const store = storeWithSync((sync) => ({
      revokeGrant: (id, now, audit) => {
        const revoked = sync.revokeGrant(id, now, audit);
        // Well formed, but not frozen: it is walked like a record from another process.
        return revoked === null ? null : { ...revoked, id: 'grt_other', revokedAt: 'now' as never };
      },
    }));
    const { cs } = setup({ store });
    const error = await cs.guard({ ...READ, run: () => 1 }, CONTEXT).catch((e: unknown) => e);
    expect((error as OutcomeNotRecordedError).recordError).toBeInstanceOf(CorruptRecordError);
  });

  test('a synchronous consumeGrant that throws rejects the consumption; the grant still ends, audited', async () => {
    const store = storeWithSync(() => ({
      consumeGrant: () => {
        throw new Error('connection reset');
      },
    }));
    const { cs, auditTypes } = setup({ store });
    const refused = await cs
      .guard(
        {
          ...READ,
          run: (grant) => cs.grants.consume(grant.token, { ...READ, sessionId: CONTEXT.sessionId }),
        },
        CONTEXT,
      )
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreError);
    const types = await auditTypes();
    expect(types[0]).toBe('allowed');
    expect(types.at(-1)).toBe('failed');
  });
});
