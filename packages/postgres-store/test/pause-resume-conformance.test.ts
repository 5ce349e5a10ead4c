// The PostgreSQL store through the pause-and-resume conformance suite, with and without notifications.
import { runPauseResumeConformance } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import { closeAndDrop, freshStore } from './helpers.js';

describe('postgres store', () => {
  runPauseResumeConformance(
    { describe, test, expect },
    { create: () => freshStore(), destroy: closeAndDrop },
  );
});

describe('postgres store without notifications', () => {
  runPauseResumeConformance(
    { describe, test, expect },
    {
      create: () => freshStore({ notifications: false }),
      destroy: closeAndDrop,
    },
  );
});
