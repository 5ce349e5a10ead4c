// createMemoryStore(): the Store contract in this process's memory, composed of requests, grants, windows, audit.
import { type Store, SYNC_STORE } from '@countersign/core';
import { AuditChain, auditMethods } from './audit-chain.js';
import { GrantRecords, grantMethods, syncGrantMethods } from './grants.js';
import { RequestListeners } from './listeners.js';
import type { MemoryStoreOptions } from './options.js';
import { RequestRecords, requestMethods } from './requests.js';
import { reuseWindowMethods } from './reuse-windows.js';

/**
 * A store in this process's memory: the default for tests, demos and single-process agents.
 * It does not survive a restart and cannot be shared between processes; use
 * `@countersign/postgres-store` for that. Records are frozen so no plugin can edit them in place.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const retention = options.retention ?? {};
  const requests = new RequestRecords(retention.maxSettledRequests ?? 10_000);
  const grants = new GrantRecords(retention.maxFinishedGrants ?? 10_000);
  const chain = new AuditChain(retention.maxAuditEntries ?? Number.POSITIVE_INFINITY);
  const listeners = new RequestListeners();
  const sync = syncGrantMethods(grants, chain);
  const store: Store = {
    name: 'memory',
    ...requestMethods(requests, chain, listeners),
    ...grantMethods(grants, requests, chain, listeners, sync),
    ...reuseWindowMethods(chain),
    ...auditMethods(chain),

    async subscribe(listener) {
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
      };
    },

    async close() {
      listeners.clear();
    },
  };
  // Grant writes that complete in place, for core's allow path (see SyncStoreMethods).
  return Object.assign(store, { [SYNC_STORE]: { ...sync, owner: store } });
}
