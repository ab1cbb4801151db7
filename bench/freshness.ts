/**
 * Freshness: the time from an OTLP record's acknowledgement by `hyb serve
 * ingest` (flushSeconds 1) to its page showing in the pageviews_per_day MV
 * of the local store, with `hyb sync --every 5` running. Goal: the sync
 * interval + 5 s.
 *
 *   npm run bench:freshness
 */
import { spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { compileProject } from '../compiler/project.ts';
import { Progress } from '../runtime/progress.ts';
import { atMost, report } from './report.ts';
import { benchProject, median, projectRoot, startHyb, tempDir } from './support.ts';

const INTERVAL = 5;
const SAMPLES = 7;
const dir = benchProject();
cpSync(join(projectRoot, 'metrics'), join(dir, 'metrics'), { recursive: true }); // the seed's dashboards
const lake = tempDir('hyb-bench-lake-');
const store = tempDir('hyb-bench-store-');
const writeConfig = (extra: object) =>
  writeFileSync(join(dir, 'hyb.config.ts'), `import { defineConfig } from './compiler/dsl/index.ts';\nexport default defineConfig(${JSON.stringify({ lake: { kind: 'local', path: lake }, store: { path: store }, ingest: { flushSeconds: 1 }, ...extra })});\n`);
writeConfig({});
const storeService = await startHyb(['store'], dir);
writeConfig({ clickhouse: { url: storeService.url } });
const ingest = await startHyb(['ingest'], dir);
const hyb = join(projectRoot, 'bin/hyb.mjs');
const migrate = spawn(process.execPath, [hyb, 'migrate'], { cwd: dir, stdio: 'ignore' });
await new Promise((resolve) => migrate.once('exit', resolve));
const sync = spawn(process.execPath, [hyb, 'sync', '--every', String(INTERVAL)], { cwd: dir, stdio: 'ignore' });

const metric = (await compileProject(projectRoot)).metrics.find((m) => m.ir.name === 'pageviews_per_day')!;
const client = createClient({ url: storeService.url });
const today = new Date().toISOString().slice(0, 10);
const params = { from: `${today} 00:00:00.000`, to: `${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)} 00:00:00.000`, service: null };

const lags: number[] = [];
const progress = new Progress('freshness samples', SAMPLES);
try {
  for (let i = 0; i < SAMPLES; i++) {
    progress.update(i);
    const page = `/fresh-${i}-${Date.now()}`;
    const body = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'web' } }] },
          scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), eventName: 'browser.page_view', attributes: [{ key: 'url.path', value: { stringValue: page } }] }] }],
        },
      ],
    };
    const response = await fetch(`${ingest.url}/v1/logs`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    if (!response.ok) throw new Error(`ingest answered ${response.status}`);
    const acked = performance.now();
    for (;;) {
      const rows = (await (await client.query({ query: metric.sql.mvQuery!, query_params: params, format: 'JSONEachRow' })).json()) as { page: string }[];
      if (rows.some((r) => r.page === page)) break;
      if (performance.now() - acked > 60_000) throw new Error(`${page} not in the MV after 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    lags.push(performance.now() - acked);
    // land the next sample at a different point of the sync cycle
    await new Promise((r) => setTimeout(r, Math.random() * INTERVAL * 1000));
  }
  progress.finish(SAMPLES);
} finally {
  sync.kill('SIGTERM');
  await client.close();
  await ingest.stop();
  await storeService.stop();
}
report({
  bench: 'freshness',
  setup: `One OTLP page view at a time into \`hyb serve ingest\` (\`flushSeconds: 1\`), with \`hyb sync --every ${INTERVAL}\` feeding a local store where \`hyb migrate\` created the MVs; the lag runs from the ingest's acknowledgement to the page appearing in the \`pageviews_per_day\` MV query, polled every 100 ms. ${SAMPLES} samples, each sent at a random point of the sync cycle.`,
  figures: [
    { measure: `freshness lag, ingest acknowledgement → MV, median (sync every ${INTERVAL} s)`, value: median(lags) / 1000, unit: 's', goal: atMost(INTERVAL + 5), note: lags.map((l) => (l / 1000).toFixed(1)).join(', ') },
    { measure: 'freshness lag, worst sample', value: Math.max(...lags) / 1000, unit: 's', goal: atMost(INTERVAL + 5) },
  ],
});
