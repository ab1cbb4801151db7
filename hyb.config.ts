import { defineConfig } from './compiler/dsl/index.ts';

export default defineConfig({
  lake: { kind: 'local', path: '.hyb/lake' },
  clickhouse: { url: 'http://127.0.0.1:8123', username: 'default', password: '', database: 'default' },
  retention: { rawDays: 30, rollupDays: 90 },
});
