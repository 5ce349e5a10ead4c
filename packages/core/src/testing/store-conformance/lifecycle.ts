// Store cases for the store's lifecycle: change notifications to subscribers, and an idempotent close.
import { sampleRequest } from '../fixtures.js';
import type { StoreCases } from './store-cases.js';

/** Subscriptions, if the store has them, and closing twice. */
export function lifecycleCases(cases: StoreCases): void {
  const { test, expect } = cases;
  test('notifies subscribers when a request changes', async (store) => {
    if (!store.subscribe) return;
    const request = sampleRequest();
    await store.createRequest(request, []);
    let notified: (id: string) => void = () => {};
    const seen = new Promise<string>((resolve) => {
      notified = resolve;
    });
    const unsubscribe = await store.subscribe((id) => {
      if (id === request.id) notified(id);
    });
    await store.updateRequest({ ...request, version: 2 }, []);
    expect(await seen).toBe(request.id);
    await unsubscribe();
  });

  test('close is idempotent', async (store) => {
    await store.close();
    await store.close();
  });
}
