// The Store contract as runnable tests, which every store runs: atomicity, races, the audit chain, sweeping.
import type { Store } from '../../contracts/store.js';
import type { ConformanceRunner } from '../runner.js';
import { auditChainCases } from './audit-chain.js';
import { batchUpdateCases } from './batch-updates.js';
import { claimApprovedCases } from './claim-approved.js';
import { claimCases } from './claims.js';
import { grantCases } from './grants.js';
import { lifecycleCases } from './lifecycle.js';
import { requestCases } from './requests.js';
import { reuseWindowCases } from './reuse-windows.js';
import { revokeAndUpdateCases } from './revoke-and-update.js';
import type { StoreCases } from './store-cases.js';
import { sweepCases } from './sweeps.js';

export interface StoreConformanceOptions {
  /** A fresh, empty store for each test. */
  create(): Promise<Store> | Store;
  /** Called after each test; the suite closes the store itself. */
  destroy?(store: Store): Promise<void> | void;
  /** Concurrent callers in the race cases. Default 20. */
  racers?: number;
  /** Test names to skip, each with the reason, e.g. `{ 'notifies subscribers': 'no push support' }`. */
  skip?: Record<string, string>;
  /**
   * The store's own sweeper, if it has one (the PostgreSQL store's `sweepExpired`): the sweep cases
   * run it as well as core's `sweep()`. It may keep its own clock: those cases date their records
   * hours before or after `Date.now()`.
   */
  sweep?: ((store: Store) => Promise<unknown>) | undefined;
}

/**
 * The contract every Store must meet, as runnable tests. Call it inside a test file:
 * `runStoreConformance({ describe, test, expect }, { create: () => createMyStore() })`.
 */
export function runStoreConformance(runner: ConformanceRunner, options: StoreConformanceOptions): void {
  const cases: StoreCases = {
    test: (name, body) => {
      if (options.skip?.[name]) return;
      runner.test(name, async () => {
        const store = await options.create();
        try {
          await body(store);
        } finally {
          await options.destroy?.(store);
          await store.close();
        }
      });
    },
    expect: runner.expect,
    racers: options.racers ?? 20,
  };

  runner.describe('store conformance', () => {
    requestCases(cases);
    auditChainCases(cases);
    grantCases(cases);
    claimCases(cases);
    claimApprovedCases(cases);
    batchUpdateCases(cases);
    reuseWindowCases(cases);
    revokeAndUpdateCases(cases);
    sweepCases(cases, options.sweep);
    lifecycleCases(cases);
  });
}
