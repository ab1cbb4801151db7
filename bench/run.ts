/**
 * Every benchmark, one after the other, each in its own process:
 *
 *   npm run bench
 *
 * Figures go to stdout; bench/RESULTS.md keeps the ones quoted, with the
 * machine they came from.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './support.ts';

const benches = ['compile.ts', 'ingest.ts', 'fallback.ts', 'sync.ts', 'freshness.ts', 'router.ts'];

console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
for (const bench of benches) {
  console.log(`\n== ${bench}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', bench)], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
