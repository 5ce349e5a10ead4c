// Change notifications: a store's own writes reach its subscribers once, in process; other stores' by NOTIFY; a forged NOTIFY is only a hint.
import { sampleRequest } from '@countersign/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/index.js';
import { dropSchema, freshStore, PG_URL } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function pair(): Promise<[PostgresStore, PostgresStore]> {
  const first = await freshStore();
  cleanups.push(() => dropSchema(first.schema));
  cleanups.push(() => first.close());
  const second = createPostgresStore({ connectionString: PG_URL, schema: first.schema });
  cleanups.push(() => second.close());
  return [first, second];
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('change notifications', () => {
  test("a store's own write reaches its subscriber once, before the write resolves; its NOTIFY echo is dropped", async () => {
    const [store] = await pair();
    const seen: string[] = [];
    const stop = await store.subscribe!((id) => seen.push(id));
    const request = sampleRequest();
    await store.createRequest(request, []);
    expect(seen).toEqual([request.id]);
    await store.updateRequest({ ...request, version: 2 }, []);
    expect(seen).toEqual([request.id, request.id]);
    // Long enough for the echo to come back through the server if it were not dropped.
    await settle(300);
    expect(seen).toEqual([request.id, request.id]);
    await stop();
  });

  test('a write that changed nothing (lost compare-and-set, idempotent create) notifies no one', async () => {
    const [store, other] = await pair();
    const request = sampleRequest({ idempotencyKey: 'once' });
    await store.createRequest(request, []);
    const seen: string[] = [];
    const stopMine = await store.subscribe!((id) => seen.push(`mine:${id}`));
    const stopOther = await other.subscribe!((id) => seen.push(`other:${id}`));
    expect(await store.updateRequest({ ...request, version: 5 }, [])).toBeNull();
    expect((await store.createRequest({ ...request, id: `${request.id}_again` }, [])).created).toBe(false);
    await settle(300);
    expect(seen).toEqual([]);
    await stopMine();
    await stopOther();
  });

  test("another store's write reaches this store's subscriber by NOTIFY", async () => {
    const [store, other] = await pair();
    const request = sampleRequest();
    await store.createRequest(request, []);
    const heard = new Promise<string>((resolve) => {
      void other.subscribe!((id) => resolve(id));
    });
    await settle(100);
    await store.updateRequest({ ...request, version: 2 }, []);
    expect(await heard).toBe(request.id);
  });

  test('a NOTIFY any session sends is passed on as a hint, never as a record: the subscriber gets only the id', async () => {
    const [store] = await pair();
    const heard = new Promise<unknown[]>((resolve) => {
      void store.subscribe!((...args: unknown[]) => resolve(args));
    });
    await settle(100);
    const forger = new pg.Client({ connectionString: PG_URL });
    await forger.connect();
    await forger.query('SELECT pg_notify($1, $2)', [`${store.schema}_requests`, 'req_forged']);
    await forger.end();
    expect(await heard).toEqual(['req_forged']);
  });
});
