import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // chDB keeps one data directory per process: each test file gets its own.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    include: ['tests/**/*.test.ts', 'compiler/**/*.test.ts', 'runtime/**/*.test.ts'],
    // the long runs have their own config (vitest.reliability.config.ts)
    exclude: ['tests/reliability/**', '**/node_modules/**'],
  },
});
