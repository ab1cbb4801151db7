import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // chDB keeps one data directory per process: each test file gets its own.
    pool: 'forks',
    // one temp folder a run, removed at its end (tests/support/run-temp.ts)
    globalSetup: ['tests/support/run-temp.ts'],
    // Two files at a time (vitest's default on 2 cores is one): most of a test's time is spent
    // waiting on the processes it starts, so two side by side take ~300 s instead of ~430 s.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    include: ['tests/**/*.test.ts', 'compiler/**/*.test.ts', 'runtime/**/*.test.ts'],
    // the long runs have their own config (vitest.reliability.config.ts)
    exclude: ['tests/reliability/**', '**/node_modules/**'],
  },
});
