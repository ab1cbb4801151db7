import { defineConfig } from 'vitest/config';

/** `npm run test:reliability`: the long runs (load, many kills), apart from `npm test`; .ci/run runs both. */
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 180_000,
    include: ['tests/reliability/**/*.test.ts'],
  },
});
