/**
 * The router on the 10 M-event, 30-day lake of bench/fallback.ts: the local
 * store migrated and synced from it (kept in bench/.data/router-10m between
 * runs), the chDB service, and `hyb serve router` — each its own process.
 *
 * Per seed dashboard query, side by side in one run: router → MV p50/p99
 * (goal ≤ 5 ms / ≤ 20 ms) through a router without its answer cache and
 * through the default one (answered from its cache), the same MV query sent
 * straight to ClickHouse (here the store) with the client the router uses
 * (the uncached router's overhead is the difference, goal ≤ 1 ms), and
 * router → chDB p50.
 * Then throughput on the MV path, cached and not, with a loopback load
 * generator (goal ≥ 3,000 req/s).
 *
 *   npm run bench:router      (seeds and syncs on first use, several minutes)
 *
 * With CLICKHOUSE_URL (and CLICKHOUSE_USER, CLICKHOUSE_PASSWORD,
 * CLICKHOUSE_DATABASE, as the tier tests take them) the MVs live on that
 * server instead of the local store: migrated and synced from the same lake,
 * then measured the same way.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client-web';
import autocannon from 'autocannon';
import { routerTable } from '../generated/router-table.ts';
import { Progress } from '../runtime/progress.ts';
import { atLeast, atMost, report } from './report.ts';
import { ensureBenchLake, median, projectRoot, startHyb } from './support.ts';

const MV_RUNS = Number(process.env.MV_RUNS ?? 200);
const CHDB_RUNS = Number(process.env.CHDB_RUNS ?? 5);
const PAGE_LOADS = Number(process.env.PAGE_LOADS ?? 25);
const LOAD_SECONDS = Number(process.env.LOAD_SECONDS ?? 10);
const LOAD_CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 32);
const lakeProject = join(projectRoot, 'bench/.data/lake-10m');
const dir = join(projectRoot, 'bench/.data/router-10m');
const hyb = join(projectRoot, 'bin/hyb.mjs');
const timeRange = { from: '2026-10-20T00:00:00Z', to: '2026-11-19T00:00:00Z' };

ensureBenchLake();
mkdirSync(dir, { recursive: true });
// The store syncs incrementally; a lake seeded again is new files, so the store starts over.
const lakeSeeded = readFileSync(join(lakeProject, 'seeded'), 'utf8');
const storeOf = join(dir, 'store-of-lake');
if (!existsSync(storeOf) || readFileSync(storeOf, 'utf8') !== lakeSeeded) {
  rmSync(join(dir, 'store'), { recursive: true, force: true });
  writeFileSync(storeOf, lakeSeeded);
}
for (const shared of ['compiler', 'schemas', 'runtime', 'node_modules', 'package.json', 'metrics', 'generated']) {
  if (!existsSync(join(dir, shared))) symlinkSync(join(projectRoot, shared), join(dir, shared));
}
const configure = (extra: Record<string, unknown>) =>
  writeFileSync(
    join(dir, 'hyb.config.ts'),
    `import { defineConfig } from './compiler/dsl/index.ts';\nexport default defineConfig(${JSON.stringify({ lake: { kind: 'local', path: join(lakeProject, 'lake') }, store: { path: join(dir, 'store') }, ...extra })});\n`,
  );
const run = (args: string[]) => {
  const result = spawnSync(process.execPath, [hyb, ...args], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`hyb ${args.join(' ')} failed`);
};

/** A horizontal bar chart, log scale: MV and chDB p50 per query. */
function latencyChart(bars: readonly { name: string; mv: number; cached: number; chdb: number }[]): string {
  const [left, width, rowH] = [190, 420, 40];
  const max = Math.max(...bars.map((b) => b.chdb), 1);
  const x = (v: number) => ((Math.log10(Math.max(v, 0.1)) + 1) / (Math.log10(max) + 1)) * width; // from 0.1 ms
  const height = bars.length * rowH + 50;
  const ticks = [0.1, 1, 10, 100, 1000, 10000].filter((t) => t <= max);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 80}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="14" font-weight="bold">router p50 per query, ms (log scale): MV cached (blue), MV (green), chDB over the lake (orange)</text>`,
    ...ticks.map((t) => `<line x1="${left + x(t)}" y1="22" x2="${left + x(t)}" y2="${height - 16}" stroke="#ddd"/><text x="${left + x(t)}" y="${height - 4}" text-anchor="middle">${t}</text>`),
  ];
  bars.forEach((b, i) => {
    const y = 26 + i * rowH;
    out.push(`<text x="${left - 6}" y="${y + 15}" text-anchor="end">${b.name}</text>`);
    const bar = (dy: number, v: number, fill: string) =>
      `<rect x="${left}" y="${y + dy}" width="${Math.max(1, x(v)).toFixed(1)}" height="10" fill="${fill}"/><text x="${left + Math.max(1, x(v)) + 4}" y="${y + dy + 9}">${v < 10 ? v.toFixed(1) : v.toFixed(0)}</text>`;
    out.push(bar(0, b.cached, '#2563eb'), bar(12, b.mv, '#16a34a'), bar(24, b.chdb, '#ea580c'));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const percentile = (xs: readonly number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const ms = (x: number) => Math.round(x * 100) / 100;

/** A ClickHouse server named in the environment, or null for the local store. */
const server = process.env.CLICKHOUSE_URL
  ? {
      url: process.env.CLICKHOUSE_URL,
      username: process.env.CLICKHOUSE_USER ?? 'default',
      password: process.env.CLICKHOUSE_PASSWORD ?? '',
      database: process.env.CLICKHOUSE_DATABASE ?? 'default',
    }
  : null;

configure({});
const [store, chdb] = await Promise.all([server ? null : startHyb(['store'], dir), startHyb(['chdb'], dir)]);
const clickhouse = server ?? { url: store!.url };
configure({ clickhouse, router: { chdbUrl: chdb.url } });
try {
  run(['migrate']);
  run(['sync']); // incremental after the first run
  // Two routers side by side: the default (MV answers cached until the next sync) and one without the cache.
  const [router, uncachedRouter] = await Promise.all([
    startHyb(['router'], dir),
    startHyb(['router'], dir, { HYB_CONFIG_OVERRIDES: JSON.stringify({ router: { mvCacheEntries: 0 } }) }),
  ]);
  try {
    const direct = createClient(clickhouse);
    const [{ version }] = (await (await direct.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })).json()) as [{ version: string }];
    const tier = server
      ? `a ClickHouse ${version} server (CLICKHOUSE_URL)`
      : `the local store (\`hyb serve store\`: chDB ${version} behind the ClickHouse HTTP interface, the embedded stand-in for a ClickHouse server)`;
    const post = async (url: string, body: object) => {
      const response = await fetch(`${url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const answer = (await response.json()) as { source: string; rows: unknown[]; meta: { reason: string | null; cached: boolean } };
      if (response.status !== 200) throw new Error(JSON.stringify(answer));
      return answer;
    };
    const found = (await (await fetch(`${chdb.url}/query`, { method: 'POST', body: JSON.stringify({ sql: "SELECT LogAttributes['user.id'] AS u FROM lake.otel_logs WHERE SeverityText = 'ERROR' LIMIT 1" }) })).json()) as { data: { u: string }[] };
    const userId = found.data[0]!.u;
    const bound = { from: '2026-10-20 00:00:00.000', to: '2026-11-19 00:00:00.000' };

    const rows: string[] = [];
    const chart: { name: string; mv: number; cached: number; chdb: number }[] = [];
    const all = { mv: [] as number[], cached: [] as number[], direct: [] as number[], overhead: [] as number[], chdb: [] as number[] };
    const entries = Object.values(routerTable).filter((e) => e.mvQuery);
    /** A query's request to the router, via the MV. */
    const bodyOf = (entry: (typeof entries)[number]) => ({ query: entry.name, timeRange, params: 'userId' in entry.paramTypes ? { userId } : {}, via: 'mv' });
    const progress = new Progress('router bench', entries.length);
    for (const entry of entries) {
      const body = bodyOf(entry);
      const { params } = body;
      const sqlParams: Record<string, unknown> = { ...bound };
      for (const p of Object.keys(entry.paramTypes)) if (!(p in sqlParams)) sqlParams[p] = (params as Record<string, unknown>)[p] ?? null;
      const check = await post(router.url, body);
      if (check.source !== 'clickhouse') throw new Error(`${entry.name}: ${check.meta.reason}`);
      const mv: number[] = [];
      const cached: number[] = [];
      const straight: number[] = [];
      for (let i = 0; i < MV_RUNS + 5; i++) {
        // alternate so drift hits all three alike; the first five warm up
        let t = performance.now();
        await post(uncachedRouter.url, body);
        const a = performance.now() - t;
        t = performance.now();
        const hit = await post(router.url, body);
        const b = performance.now() - t;
        if (!hit.meta.cached) throw new Error(`${entry.name}: expected a cached answer`);
        t = performance.now();
        await (await direct.query({ query: entry.mvQuery!, query_params: sqlParams, format: 'JSONCompact' })).json();
        const c = performance.now() - t;
        if (i >= 5) (mv.push(a), cached.push(b), straight.push(c));
      }
      const lake: number[] = [];
      for (let i = 0; i < CHDB_RUNS + 1; i++) {
        const t = performance.now();
        const answer = await post(router.url, { ...body, via: 'chdb' });
        if (i > 0) lake.push(performance.now() - t);
        if (answer.source !== 'chdb') throw new Error('expected chdb');
      }
      const overhead = median(mv) - median(straight);
      chart.push({ name: entry.name, mv: median(mv), cached: median(cached), chdb: median(lake) });
      all.mv.push(...mv);
      all.cached.push(...cached);
      all.direct.push(...straight);
      all.overhead.push(overhead);
      all.chdb.push(...lake);
      rows.push(
        `| ${entry.name} | **${ms(median(mv))}** | ${ms(percentile(mv, 0.99))} | ${ms(median(straight))} | ${ms(overhead)} | **${ms(median(cached))}** | ${ms(percentile(cached, 0.99))} | ${ms(median(lake))} | ${ms(percentile(lake, 0.99))} | ${Math.round(median(lake) / median(mv))}× |`,
      );
      progress.update(rows.length);
    }
    progress.finish(rows.length);

    // A dashboard opening: every MV query at once through the uncached router; the time to its last answer.
    const pageBodies = entries.map(bodyOf);
    const pages: number[] = [];
    for (let i = 0; i < PAGE_LOADS + 2; i++) {
      const t = performance.now();
      await Promise.all(pageBodies.map((body) => post(uncachedRouter.url, body)));
      if (i >= 2) pages.push(performance.now() - t);
    }

    // autocannon: connections kept alive, each sending the next request when its answer is in (no pipelining)
    const load = async (url: string) => {
      const result = await autocannon({
        url: `${url}/query`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'top_pages', timeRange, params: {}, via: 'mv' }),
        connections: LOAD_CONCURRENCY,
        duration: LOAD_SECONDS,
      });
      const failed = result.non2xx + result.errors + result.timeouts;
      return { perSecond: result['2xx'] / (result.duration || LOAD_SECONDS), note: `${failed} failed, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${LOAD_CONCURRENCY} connections` };
    };
    const throughputCached = await load(router.url);
    const throughputUncached = await load(uncachedRouter.url);
    await direct.close();

    writeFileSync(join(projectRoot, 'bench/router-latency.svg'), latencyChart(chart));
    console.log('chart: bench/router-latency.svg');
    const ratios = chart.map((c) => c.chdb / c.mv);
    report({
      bench: 'router',
      setup: `The 10 M-event, 30-day lake of the fallback bench synced into ${tier}, the chDB service and two \`hyb serve router\` processes: the default one, which keeps MV answers until the next sync, and one with \`router.mvCacheEntries: 0\`; all on the same machine as the client. Every query over the full 30 days. Per query, ${MV_RUNS} rounds alternating the uncached router, the cached router and the same MV SQL sent straight to ClickHouse with the client the router uses (\`@clickhouse/client-web\`); the router's overhead is the uncached router's median minus the direct median. Then router → chDB (\`via: "chdb"\`), ${CHDB_RUNS} runs. A dashboard opening: every MV query sent at once to the uncached router, ${PAGE_LOADS} times after 2 warm-ups, the time to the last answer. Throughput: autocannon on loopback in the bench process, ${LOAD_CONCURRENCY} connections each sending its next request when the answer is in, \`top_pages\` via the MV, ${LOAD_SECONDS} s per router. Chart: [router-latency.svg](router-latency.svg).`,
      details: [
        '| query | router → MV p50 ms | p99 | ClickHouse direct p50 | router overhead | cached MV p50 | cached p99 | router → chDB p50 | chDB p99 | chDB / MV |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
        `| **all queries** | **${ms(median(all.mv))}** | **${ms(percentile(all.mv, 0.99))}** | ${ms(median(all.direct))} | **${ms(median(all.overhead))}** (median of per-query) | **${ms(median(all.cached))}** | **${ms(percentile(all.cached, 0.99))}** | ${ms(median(all.chdb))} | ${ms(percentile(all.chdb, 0.99))} | |`,
      ].join('\n'),
      figures: [
        { measure: 'router → MV p50, all queries, uncached', value: median(all.mv), unit: 'ms', goal: atMost(5) },
        { measure: 'router → MV p99, all queries, uncached', value: percentile(all.mv, 0.99), unit: 'ms', goal: atMost(20) },
        { measure: 'router → MV p50, all queries, cached', value: median(all.cached), unit: 'ms', goal: atMost(5) },
        { measure: 'router → MV p99, all queries, cached', value: percentile(all.cached, 0.99), unit: 'ms', goal: atMost(20) },
        { measure: 'router overhead over ClickHouse direct, uncached (median of per-query)', value: median(all.overhead), unit: 'ms', goal: atMost(1), note: `${ms(Math.min(...all.overhead))}–${ms(Math.max(...all.overhead))}` },
        { measure: 'router → chDB p50, all queries', value: median(all.chdb), unit: 'ms' },
        { measure: 'chDB / MV p50 ratio, uncached (median of per-query)', value: median(ratios), unit: '×', note: `${Math.round(Math.min(...ratios))}–${Math.round(Math.max(...ratios))}` },
        { measure: `a dashboard's ${entries.length} MV queries sent at once, uncached: last answer, median`, value: median(pages), unit: 'ms', note: `${PAGE_LOADS} loads, ${ms(Math.min(...pages))}–${ms(Math.max(...pages))}` },
        { measure: 'throughput, MV path, cached', value: throughputCached.perSecond, unit: 'req/s', goal: atLeast(3000), note: throughputCached.note },
        { measure: 'throughput, MV path, uncached', value: throughputUncached.perSecond, unit: 'req/s', note: throughputUncached.note },
      ],
    });
  } finally {
    await Promise.all([router.stop(), uncachedRouter.stop()]);
  }
} finally {
  await Promise.all([store?.stop(), chdb.stop()]);
}
