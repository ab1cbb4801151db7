/**
 * Every benchmark in one run, each in its own process, then one table of
 * every figure beside its goal:
 *
 *   npm run bench
 *
 * The table and each bench's details replace the "Latest run" section of
 * bench/RESULTS.md (between its markers), with the machine, date and command;
 * the notes below that section are written by hand.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { figureRows, met, type Report } from './report.ts';
import { projectRoot } from './support.ts';

const benches = ['compile', 'ingest', 'fallback', 'sync', 'freshness', 'router'];
const START = '<!-- npm run bench: start -->';
const END = '<!-- npm run bench: end -->';

const out = join(projectRoot, 'bench/.data/results');
mkdirSync(out, { recursive: true });
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}`;
console.log(machine);

const started = Date.now();
const reports: Report[] = [];
for (const [i, bench] of benches.entries()) {
  console.log(`\n== ${i + 1}/${benches.length} ${bench} (bench/${bench}.ts)`);
  const file = join(out, `${bench}.json`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', `${bench}.ts`)], { stdio: 'inherit', env: { ...process.env, HYB_BENCH_OUT: file } });
  if (run.status !== 0) {
    console.error(`bench/${bench}.ts failed (exit ${run.status ?? run.signal}); nothing written to bench/RESULTS.md`);
    process.exit(run.status ?? 1);
  }
  reports.push(JSON.parse(readFileSync(file, 'utf8')) as Report);
}
const minutes = Math.round((Date.now() - started) / 60_000);

const tunables = ['MV_RUNS', 'CHDB_RUNS', 'LOAD_SECONDS', 'LOAD_CONCURRENCY', 'ROUNDS'].filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`);
const command = [...tunables, 'npm run bench'].join(' ');
const withGoals = reports.flatMap((r) => r.figures).filter((f) => f.goal);
const goalsMet = `${withGoals.filter(met).length} of ${withGoals.length} goals met`;
const summary = [
  '| bench | measure | figure | goal | |',
  '| --- | --- | --- | --- | --- |',
  ...reports.flatMap((r) => figureRows(r.figures, r.bench)),
].join('\n');
console.log(`\n${summary}\n\n${goalsMet}; ${minutes} min`);

const section = [
  START,
  '## Latest run (written by `npm run bench`)',
  '',
  `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`${command}\`, ${minutes} min. Machine: ${machine}.`,
  '',
  `${goalsMet}.`,
  '',
  summary,
  ...reports.flatMap((r) => ['', `### ${r.bench} (\`bench/${r.bench}.ts\`)`, '', r.setup, ...(r.details ? ['', r.details] : [])]),
  END,
].join('\n');
const resultsFile = join(projectRoot, 'bench/RESULTS.md');
const text = readFileSync(resultsFile, 'utf8');
const [head, rest] = text.includes(START) ? [text.slice(0, text.indexOf(START)), text.slice(text.indexOf(END) + END.length)] : [`${text.trimEnd()}\n\n`, '\n'];
writeFileSync(resultsFile, `${head}${section}${rest}`);
console.log('written: bench/RESULTS.md');
