// The memory store through the pause-and-resume conformance suite.
import { runPauseResumeConformance } from '@countersign/core/testing';
import { describe, expect, test } from 'vitest';
import { createMemoryStore } from '../src/index.js';

runPauseResumeConformance({ describe, test, expect }, { create: () => createMemoryStore() });
