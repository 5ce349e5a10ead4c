import { runStoreConformance } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { dropSchema, freshStore } from './helpers.js';

describe('postgres store', () => {
  runStoreConformance(
    { describe, test, expect },
    {
      create: () => freshStore(),
      destroy: (store) => dropSchema((store as PostgresStore).schema),
      sweep: (store) => (store as PostgresStore).sweepExpired(),
    },
  );
});

describe('postgres store without notifications', () => {
  runStoreConformance(
    { describe, test, expect },
    {
      create: () => freshStore({ notifications: false }),
      destroy: (store) => dropSchema((store as PostgresStore).schema),
      sweep: (store) => (store as PostgresStore).sweepExpired(),
    },
  );
});
