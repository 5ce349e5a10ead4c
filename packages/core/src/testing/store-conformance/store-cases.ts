// What each group of store cases is given: a test that opens a fresh store, the runner's expect, the racer count.
import type { Store } from '../../contracts/store.js';
import type { ConformanceRunner } from '../runner.js';

export const HOUR = 3_600_000;

export interface StoreCases {
  /** Registers a case unless it is skipped: `body` gets a fresh store, destroyed and closed after it. */
  readonly test: (name: string, body: (store: Store) => Promise<void>) => void;
  readonly expect: ConformanceRunner['expect'];
  /** Concurrent callers in the race cases. */
  readonly racers: number;
}
