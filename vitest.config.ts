import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Test files share each fork's module cache (isolate: false): loading and transforming the
    // engine's modules again for every file cost about 300 s of a 966 s run.
    poolOptions: { forks: { maxForks: 2, minForks: 1, isolate: false } },
  },
});
