import { runStoreConformance } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { closeAndDrop, freshStore } from './helpers.js';

describe('postgres store', () => {
  runStoreConformance(
    { describe, test, expect },
    {
      create: () => freshStore(),
      destroy: closeAndDrop,
      sweep: (store) => (store as PostgresStore).sweepExpired(),
    },
  );
});

describe('postgres store without notifications', () => {
  runStoreConformance(
    { describe, test, expect },
    {
      create: () => freshStore({ notifications: false }),
      destroy: closeAndDrop,
      sweep: (store) => (store as PostgresStore).sweepExpired(),
    },
  );
});
