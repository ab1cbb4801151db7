/**
 * Compile speed: a cold `hyb compile` of 500 metric files in a fresh process,
 * and the one-file recompile of `hyb compile --watch`.
 * Goals: ≤ 3 s cold, ≤ 200 ms watch, on a 2-core machine.
 *
 *   npm run bench:compile
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { atMost, report } from './report.ts';
import { benchProject, median, progress, projectRoot } from './support.ts';

const FILES = 500;
const COLD_RUNS = 5;
const WATCH_EDITS = 15;

/** Metric files of varied shape, cycling through the DSL's features. */
function metricFile(i: number): string {
  const grain = ['hour', 'day', 'minute'][i % 3];
  const templates = [
    `export const m${i} = defineMetric({ source: logs, grain: '${grain}', where: [logs.col('SeverityText').eq('ERROR')], dimensions: { kind: logs.attr('exception.type.${i}') }, measures: { n: count(), users: uniq(logs.attr('user.id')) } });`,
    `export const m${i} = defineMetric({ source: spans, grain: '${grain}', dimensions: { route: spans.attr('http.route') }, measures: { n: count(), p99: quantile(spans.col('Duration').div(1e6), 0.99), avgMs: avg(spans.col('Duration').div(1e6)), rate: ratio('bad', 'n'), bad: countIf(spans.col('StatusCode').eq('Error')) } });`,
    `export const m${i} = defineMetric({ source: logs, where: [logs.col('EventName').eq('page_${i}')], dimensions: { page: logs.attr('url.path') }, measures: { views: count() }, orderBy: [['views', 'desc']], limit: ${5 + (i % 20)}, params: { user: param(logs.attr('user.id')) } });`,
    `const s${i} = entity(logs.attr('session.id'), { first: argMin(logs.attr('url.path'), logs.timestamp), views: count() });\nexport const m${i} = defineMetric({ source: logs, entity: s${i}, dimensions: { page: s${i}.ref.first }, measures: { sessions: count(), bounces: countIf(s${i}.ref.views.eq(1)) } });`,
  ];
  return `import { argMin, avg, count, countIf, defineMetric, entity, logs, param, quantile, ratio, spans, uniq } from '../compiler/dsl/index.ts';\n\n${templates[i % templates.length]}\n`;
}

const dir = benchProject();
for (let i = 0; i < FILES; i++) {
  writeFileSync(join(dir, 'metrics', `metric-${String(i).padStart(3, '0')}.ts`), metricFile(i));
}
const hyb = join(projectRoot, 'bin/hyb.mjs');

const formatCache = join(dir, 'node_modules/.cache/hyb');

/** Wall time of `hyb compile` in a fresh process; `emptyCache` removes the formatter's disk cache first. */
function compileOnce(emptyCache: boolean): number {
  // the formatted statements only
  if (emptyCache) for (const f of existsSync(formatCache) ? readdirSync(formatCache) : []) if (/^format-.*\.json$/.test(f)) rmSync(join(formatCache, f));
  const started = performance.now();
  const result = spawnSync(process.execPath, [hyb, 'compile'], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`compile failed: ${result.stderr}`);
  return performance.now() - started;
}

// Empty and warm cache alternate, so both see the same machine state.
const cold: number[] = [];
const warm: number[] = [];
for (let run = 0; run < COLD_RUNS; run++) {
  progress('cold compile', run, COLD_RUNS);
  cold.push(compileOnce(true));
  warm.push(compileOnce(false));
}
progress('cold compile', COLD_RUNS, COLD_RUNS);

// Watch: edit one file, time until its generated query changes on disk.
const child = spawn(process.execPath, [hyb, 'compile', '--watch'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
while (!stderr.includes('watching')) await sleep(20);
const watch: number[] = [];
const edited = join(dir, 'metrics/metric-002.ts');
const output = join(dir, 'generated/queries/m2.fallback.sql');
for (let edit = 0; edit < WATCH_EDITS; edit++) {
  progress('watch recompile', edit, WATCH_EDITS);
  const before = statSync(output).mtimeMs;
  const started = performance.now();
  writeFileSync(edited, readFileSync(edited, 'utf8').replace(/limit: \d+/, `limit: ${100 + edit}`));
  while (statSync(output).mtimeMs === before) await sleep(2);
  watch.push(performance.now() - started);
  await sleep(100);
}
progress('watch recompile', WATCH_EDITS, WATCH_EDITS);
child.kill();

const runs = (xs: readonly number[]) => xs.map(Math.round).join(', ');
report({
  bench: 'compile',
  setup: `${FILES} generated metric files (four shapes cycling: filtered logs with uniq, span latency with quantile/avg/ratio, top-N with a parameter, two-level per-session entity), about ${FILES * 4} SQL statements. Cold: a fresh \`hyb compile\` process writing an unchanged \`generated/\`, ${COLD_RUNS} runs, the formatter's disk cache emptied and kept in turn. Watch: \`hyb compile --watch\` running, one metric file edited ${WATCH_EDITS} times, time until its query file changes on disk.`,
  figures: [
    { measure: `cold compile, ${FILES} files, empty format cache`, value: median(cold), unit: 'ms', goal: atMost(3000), note: runs(cold) },
    { measure: `cold compile, ${FILES} files, warm format cache`, value: median(warm), unit: 'ms', note: runs(warm) },
    { measure: 'watch, one file edited', value: median(watch), unit: 'ms', goal: atMost(200), note: `${Math.round(Math.min(...watch))}–${Math.round(Math.max(...watch))}` },
  ],
});
