// The memory store's options: how much it keeps.
/**
 * How much the store keeps. Pending requests and live grants are always kept. A long-running
 * process should set `maxAuditEntries`: with it, memory is bounded by the three limits (about
 * 1 KB per audit entry plus a few KB per kept request; see `bench/RESULTS.md`), and the heap
 * stays flat over a million guarded calls. Without it the audit chain grows with every call.
 */
export interface MemoryStoreRetention {
  /** Settled requests kept, oldest dropped first. Default 10,000. */
  maxSettledRequests?: number | undefined;
  /** Revoked grants kept, oldest dropped first. Default 10,000. */
  maxFinishedGrants?: number | undefined;
  /**
   * Audit entries kept, oldest dropped first. Default: all. Once entries are dropped, verify with
   * `{ allowPruned: true }`; export first if you need the whole chain.
   */
  maxAuditEntries?: number | undefined;
}

export interface MemoryStoreOptions {
  retention?: MemoryStoreRetention | undefined;
}
