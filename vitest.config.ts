import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'test/chaos/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Server-backed tests start real processes; two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
