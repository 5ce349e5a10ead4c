import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@countersign/source'] },
  ssr: { resolve: { conditions: ['@countersign/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/results.json' }]] : ['default'],
  },
});
