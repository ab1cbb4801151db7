/**
 * Fallback latency: every seed dashboard query answered by chDB straight from
 * the Iceberg lake (the chDB service's engine, in-process), over 10 M events
 * and 30 days; beside it DuckDB reading the same Parquet files with the
 * equivalent query. Then how concurrent queries share the engine.
 *
 *   npm run bench:fallback      (seeds bench/.data/lake-10m on first use, a few minutes)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { routerTable } from '../generated/router-table.ts';
import { LakeEngine } from '../runtime/chdb/engine.ts';
import { readPromoted } from '../runtime/lake/attributes.ts';
import { promotedColumn } from '../compiler/sql/promoted.ts';
import { quoteString } from '../compiler/sql/expr.ts';
import { Progress } from '../runtime/progress.ts';
import { configSchema } from '../schemas/config.ts';
import { atLeast, atMost, report } from './report.ts';
import { BENCH_LAKE_CONFIG, median, projectRoot, writeConfig } from './support.ts';

const EVENTS = 10_000_000;
const DAYS = 30;
const START = '2026-10-20';
const RUNS = 5;
const dir = join(projectRoot, 'bench/.data/lake-10m');
const lake = join(dir, 'lake');
const range = { from: `${START} 00:00:00.000`, to: '2026-11-19 00:00:00.000' };

// The lake's layout follows the attributes the metrics read (promoted into
// columns of their own): a lake seeded for other metrics is seeded again.
const promotedAttributes = readPromoted(projectRoot);
const seededAs = `${EVENTS} events, ${DAYS} days from ${START}, seed 1, promoted ${createHash('sha256').update(JSON.stringify(promotedAttributes)).digest('hex').slice(0, 12)}\n`;
mkdirSync(dir, { recursive: true });
for (const shared of ['compiler', 'schemas', 'runtime', 'node_modules', 'package.json', 'generated']) {
  if (!existsSync(join(dir, shared))) symlinkSync(join(projectRoot, shared), join(dir, shared));
}
if (!existsSync(join(dir, 'seeded')) || readFileSync(join(dir, 'seeded'), 'utf8') !== seededAs) {
  if (existsSync(lake)) {
    process.stderr.write(`bench: ${lake} was seeded for other metrics or an older layout; seeding it again\n`);
    rmSync(lake, { recursive: true, force: true });
    rmSync(join(dir, 'seeded'), { force: true });
  }
  writeConfig(dir, BENCH_LAKE_CONFIG);
  const seed = spawnSync(process.execPath, [join(projectRoot, 'bin/hyb.mjs'), 'seed', '--via', 'direct', '--events', String(EVENTS), '--days', String(DAYS), '--seed', '1', '--start', START], { cwd: dir, stdio: 'inherit' });
  if (seed.status !== 0) process.exit(1);
  writeFileSync(join(dir, 'seeded'), seededAs);
}
if (process.env.SEED_ONLY) process.exit(0);

/**
 * DuckDB's version of each query, where DuckDB has the functions for it.
 * Written over the maps; run over the promoted attribute columns, as chDB's
 * are (`map['key']` becomes the key's column), so both read the same bytes.
 */
const ATTRIBUTE = /(\w+Attributes)\['([^']+)'\]/g;
const duckdbSql: Record<string, string | null> = {
  errors_per_hour: `SELECT date_trunc('hour', Timestamp) AS time, LogAttributes['exception.type'] AS exceptionType, count(*) AS errors FROM otel_logs
    WHERE Timestamp >= $from::TIMESTAMP AND Timestamp < $to::TIMESTAMP AND SeverityText = 'ERROR' GROUP BY ALL ORDER BY time, exceptionType`,
  top_errors: `SELECT LogAttributes['exception.type'] AS exceptionType, count(*) AS errors, count(DISTINCT LogAttributes['user.id']) AS users FROM otel_logs
    WHERE Timestamp >= $from::TIMESTAMP AND Timestamp < $to::TIMESTAMP AND SeverityText = 'ERROR' GROUP BY ALL ORDER BY errors DESC, exceptionType LIMIT 10`,
  errors_for_user: `SELECT date_trunc('hour', Timestamp) AS time, LogAttributes['exception.type'] AS exceptionType, count(*) AS errors FROM otel_logs
    WHERE Timestamp >= $from::TIMESTAMP AND Timestamp < $to::TIMESTAMP AND SeverityText = 'ERROR' AND LogAttributes['user.id'] = $userId GROUP BY ALL ORDER BY time, exceptionType`,
  pageviews_per_day: `SELECT date_trunc('day', Timestamp) AS time, LogAttributes['url.path'] AS page, count(*) AS views FROM otel_logs
    WHERE Timestamp >= $from::TIMESTAMP AND Timestamp < $to::TIMESTAMP AND EventName = 'browser.page_view' GROUP BY ALL ORDER BY time, page`,
  top_pages: `SELECT LogAttributes['url.path'] AS page, count(*) AS views, approx_count_distinct(LogAttributes['user.id']) AS visitors FROM otel_logs
    WHERE Timestamp >= $from::TIMESTAMP AND Timestamp < $to::TIMESTAMP AND EventName = 'browser.page_view' GROUP BY ALL ORDER BY views DESC, page LIMIT 10`,
  unique_visitors_per_day: `SELECT date_trunc('day', Timestamp) AS time, approx_count_distinct(LogAttributes['user.id']) AS visitors FROM otel_logs
    WHERE Timestamp >= $from::TIMESTAMP AND Timestamp < $to::TIMESTAMP AND EventName = 'browser.page_view' GROUP BY ALL ORDER BY time`,
  unique_visitors: `SELECT approx_count_distinct(LogAttributes['user.id']) AS visitors FROM otel_logs
    WHERE Timestamp >= $from::TIMESTAMP AND Timestamp < $to::TIMESTAMP AND EventName = 'browser.page_view'`,
  web_vitals: `SELECT LogAttributes['url.path'] AS page, LogAttributes['web_vital.name'] AS vital,
      approx_quantile(TRY_CAST(LogAttributes['web_vital.value'] AS DOUBLE), 0.75) AS p75, approx_quantile(TRY_CAST(LogAttributes['web_vital.value'] AS DOUBLE), 0.95) AS p95, count(*) AS samples
    FROM otel_logs WHERE Timestamp >= $from::TIMESTAMP AND Timestamp < $to::TIMESTAMP AND EventName = 'browser.web_vital' AND LogAttributes['web_vital.name'] IN ('LCP', 'CLS', 'INP')
    GROUP BY ALL ORDER BY page, vital`,
  api_latency: `SELECT date_trunc('hour', Timestamp) AS time, SpanAttributes['http.route'] AS route, count(*) AS requests,
      count_if(TRY_CAST(SpanAttributes['http.response.status_code'] AS DOUBLE) >= 500) AS serverErrors,
      count_if(TRY_CAST(SpanAttributes['http.response.status_code'] AS DOUBLE) >= 500) / count(*) AS errorRate,
      approx_quantile(Duration / 1e6, 0.5) AS p50, approx_quantile(Duration / 1e6, 0.99) AS p99, avg(Duration / 1e6) AS avgMs, max(Duration / 1e6) AS maxMs
    FROM otel_traces WHERE Timestamp >= $from::TIMESTAMP AND Timestamp < $to::TIMESTAMP AND SpanKind = 'Server' GROUP BY ALL ORDER BY time, route`,
  bounce_rate: `SELECT entryPage AS page, count(*) AS sessions, count_if(views = 1) AS bounces, count_if(views = 1) / count(*) AS bounceRate FROM (
      SELECT LogAttributes['session.id'] AS s, arg_min(LogAttributes['url.path'], Timestamp) AS entryPage, count(*) AS views FROM otel_logs
      WHERE Timestamp >= $from::TIMESTAMP AND Timestamp < $to::TIMESTAMP AND EventName = 'browser.page_view' GROUP BY s)
    GROUP BY ALL ORDER BY sessions DESC, page`,
  // windowFunnel (ordered steps within a window, per user) has no DuckDB built-in.
  signup_funnel: null,
};

const engine = LakeEngine.open(dir, configSchema.parse({ lake: { kind: 'local', path: lake } }));
const duck = await (await DuckDBInstance.create(':memory:')).connect();
for (const source of ['otel_logs', 'otel_traces']) {
  await duck.run(`CREATE VIEW ${source} AS SELECT * FROM read_parquet('${join(lake, source, 'data')}/**/*.parquet')`);
}
const [first] = (await engine.query("SELECT LogAttributes['user.id'] AS u FROM lake.otel_logs WHERE SeverityText = 'ERROR' LIMIT 1", {})).data as Record<string, string>[];
const userId = first!.u!;

async function time(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const names = Object.keys(routerTable).sort() as (keyof typeof routerTable)[];
const progress = new Progress('fallback queries', names.length * RUNS * 3);
let done = 0;
const results: { query: string; chdbMs: number; chdbMaxMs: number; mapsMs: number; duckdbMs: number | null; rows: number; rowsRead: number }[] = [];
const promoted = Object.values(promotedAttributes).flat();
/** The same query reading each attribute out of its map, as the lake was read before attributes were promoted. */
const overMaps = (sql: string) => promoted.reduce((text, p) => text.replace(new RegExp(`\\b${p.column}\\b`, 'g'), `${p.map}[${quoteString(p.key)}]`), sql);
for (const name of names) {
  const entry = routerTable[name];
  const params: Record<string, unknown> = { ...range };
  for (const p of Object.keys(entry.paramTypes)) if (!(p in params)) params[p] = p === 'userId' ? userId : null;
  const answer = await engine.query(entry.fallbackQuery, params);
  const mapsSql = overMaps(entry.fallbackQuery);
  await engine.query(mapsSql, params);
  // alternating, so both forms see the same machine
  const chdb: number[] = [];
  const maps: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    chdb.push(await time(() => engine.query(entry.fallbackQuery, params)));
    maps.push(await time(() => engine.query(mapsSql, params)));
    progress.update((done += 2));
  }
  const sql = duckdbSql[name]?.replace(ATTRIBUTE, (_all, map: string, key: string) => promotedColumn(map, key));
  const duckdb: number[] = [];
  if (sql) {
    const bound = Object.fromEntries(Object.entries({ from: range.from, to: range.to, userId }).filter(([k]) => sql.includes(`$${k}`)));
    await duck.runAndReadAll(sql, bound);
    for (let i = 0; i < RUNS; i++) {
      duckdb.push(await time(() => duck.runAndReadAll(sql, bound)));
      progress.update(++done);
    }
  }
  if (!sql) progress.update((done += RUNS));
  results.push({ query: name, chdbMs: median(chdb), chdbMaxMs: Math.max(...chdb), mapsMs: median(maps), duckdbMs: sql ? median(duckdb) : null, rows: answer.rows, rowsRead: answer.statistics.rowsRead });
}
progress.finish(done);

// Concurrency: the same query, 1 at a time vs 4 at once, on one engine.
const probe = routerTable.top_pages;
const CONCURRENT = 4;
const serial = await time(async () => {
  for (let i = 0; i < CONCURRENT * 2; i++) await engine.query(probe.fallbackQuery, range);
});
const parallel = await time(() => Promise.all(Array.from({ length: CONCURRENT * 2 }, () => engine.query(probe.fallbackQuery, range))));
engine.close();

const table = [
  '| query | chDB p50 ms | chDB max ms | chDB over the maps p50 ms | maps / columns | DuckDB p50 ms | DuckDB / chDB | rows | rows read |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map((r) => {
    const duck = r.duckdbMs === null ? 'n/a' : Math.round(r.duckdbMs);
    const ratio = r.duckdbMs === null ? '—' : (r.duckdbMs / r.chdbMs).toFixed(2);
    return `| ${r.query} | ${Math.round(r.chdbMs)} | ${Math.round(r.chdbMaxMs)} | ${Math.round(r.mapsMs)} | ${(r.mapsMs / r.chdbMs).toFixed(2)} | ${duck} | ${ratio} | ${r.rows} | ${r.rowsRead} |`;
  }),
].join('\n');
const compared = results.filter((r) => r.duckdbMs !== null);
const slowest = results.reduce((a, b) => (b.chdbMs > a.chdbMs ? b : a));
report({
  bench: 'fallback',
  setup: `Every dashboard query of \`metrics/\` run by the chDB service's engine (in-process, read-only, limits on) straight from the Iceberg lake of ${(EVENTS / 1e6).toFixed(0)} M events over ${DAYS} days (\`hyb seed --via direct --events ${EVENTS} --days ${DAYS} --seed 1 --start ${START}\`, kept in bench/.data/lake-10m), the full range; beside it DuckDB (\`@duckdb/node-api\`) running the equivalent SQL over \`read_parquet\` of the same data files, reading the promoted attribute columns as chDB does (signup_funnel has no DuckDB equivalent: no windowFunnel); and, alternating with each chDB run, the same query reading every attribute out of its map (\`LogAttributes['url.path']\`) as before attributes were promoted, over the same files. Median of ${RUNS} runs after a warm-up. Then ${CONCURRENT * 2} × top_pages on one engine, one at a time and all at once.`,
  details: `${table}\n\n${CONCURRENT * 2} × top_pages: one at a time ${Math.round(serial)} ms, all at once ${Math.round(parallel)} ms.`,
  figures: [
    { measure: 'fallback queries answered within 1 s (median)', value: results.filter((r) => r.chdbMs <= 1000).length, unit: `of ${results.length}`, goal: atLeast(results.length) },
    { measure: `slowest fallback query median (${slowest.query})`, value: slowest.chdbMs, unit: 'ms', goal: atMost(1000) },
    { measure: 'fallback median, all queries (median of per-query)', value: median(results.map((r) => r.chdbMs)), unit: 'ms' },
    { measure: 'the same queries reading attributes out of the maps: median of per-query', value: median(results.map((r) => r.mapsMs)), unit: 'ms', note: `slowest ${Math.round(Math.max(...results.map((r) => r.mapsMs)))} ms` },
    { measure: `maps / promoted columns, median of ${results.length} queries`, value: median(results.map((r) => r.mapsMs / r.chdbMs)), unit: '×', note: `${Math.min(...results.map((r) => r.mapsMs / r.chdbMs)).toFixed(2)}–${Math.max(...results.map((r) => r.mapsMs / r.chdbMs)).toFixed(2)}` },
    { measure: `DuckDB / chDB, median of ${compared.length} queries`, value: median(compared.map((r) => r.duckdbMs! / r.chdbMs)), unit: '×', note: `${Math.min(...compared.map((r) => r.duckdbMs! / r.chdbMs)).toFixed(2)}–${Math.max(...compared.map((r) => r.duckdbMs! / r.chdbMs)).toFixed(2)}` },
  ],
});
