import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    conditions: ['@countersign/source'],
    // Core's tests use the memory store, which depends on core: a path here (and in core's
    // tsconfig) instead of a package dependency keeps the workspace free of a cycle.
    alias: [
      {
        find: /^@countersign\/memory-store$/,
        replacement: fileURLToPath(new URL('./packages/memory-store/src/index.ts', import.meta.url)),
      },
    ],
  },
  ssr: { resolve: { conditions: ['@countersign/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'scripts/**/*.test.ts'],
    globalSetup: ['./vitest.postgres.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/results.json' }]] : ['default'],
  },
});
