import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: the long runs, apart from `npm test`; .ci/run
 * runs both. The reliability files, plus the SIGKILL tests of `npm test` at
 * their full counts, side by side (two forks: the sync kills take one
 * throughout, the others share the second).
 */
export default defineConfig({
  test: {
    pool: 'forks',
    // one temp folder a run, removed at its end (tests/support/run-temp.ts)
    globalSetup: ['tests/support/run-temp.ts'],
    maxWorkers: 2,
    testTimeout: 300_000,
    hookTimeout: 180_000,
    include: ['tests/reliability/**/*.test.ts', 'tests/sync.test.ts', 'tests/ingest-durability.test.ts'],
    // from those two files, only the kill tests
    testNamePattern: /SIGKILLs|req\/s|refuses/,
    env: { HYB_SYNC_KILLS: '50', HYB_INGEST_KILLS: '10' },
  },
});
