/**
 * Sync throughput: the 10 M-event lake of bench/fallback.ts (seeded on first
 * use) loaded by `hyb sync` into a fresh local store with every metric's MV
 * (`hyb migrate` first), rows per second end to end, with the store reading
 * the lake itself and with `--push`, and the store's reading alone. Goal
 * ≥ 1 M rows/s.
 *
 *   npm run bench:sync
 */
import { spawnSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { atLeast, report } from './report.ts';
import { ensureBenchLake, median, projectRoot, withFreshStore } from './support.ts';
import { quoteIdent } from '../compiler/sql/expr.ts';
import { sources } from '../schemas/sources.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 1);
const dir = join(projectRoot, 'bench/.data/lake-10m');
/** The start of the day 29 days ago (UTC): rows from it on are within the raw 30-day TTL for the whole bench. */
const KEPT_FROM = new Date(Math.floor(Date.now() / 86_400_000 - 29) * 86_400_000).toISOString().slice(0, 10);
ensureBenchLake();
// hyb migrate compiles the project's metrics
if (!existsSync(join(dir, 'metrics'))) symlinkSync(join(projectRoot, 'metrics'), join(dir, 'metrics'));
const hyb = join(projectRoot, 'bin/hyb.mjs');

interface Round {
  readonly rows: number;
  readonly kept: number;
  readonly seconds: number;
  readonly mvRows: number;
  readonly direct: number;
  /** The store reading the whole lake into Null tables: what any load costs before MergeTree and the MVs; rows/s. */
  readonly readOnly?: number;
}

/** A sync into a fresh store; `push`: the rows go through the sync process instead of the store reading the lake. */
async function round(push: boolean): Promise<Round> {
  return withFreshStore(dir, async (url) => {
    const migrate = spawnSync(process.execPath, [hyb, 'migrate'], { cwd: dir, encoding: 'utf8' });
    if (migrate.status !== 0) throw new Error(migrate.stderr);
    const started = performance.now();
    const sync = spawnSync(process.execPath, [hyb, 'sync', ...(push ? ['--push'] : [])], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const seconds = (performance.now() - started) / 1000;
    if (sync.status !== 0) throw new Error(`sync failed: ${sync.stderr}`);
    process.stderr.write(sync.stderr.split('\r').at(-1) ?? '');
    const synced = Number(/(\d+) rows/.exec(sync.stderr)![1]);
    const direct = Number(/\((\d+) read by ClickHouse/.exec(sync.stderr)?.[1] ?? 0);
    const client = createClient({ url });
    const count = async (sql: string) => Number(((await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as { n: string }[])[0]!.n);
    // Rows the raw tables' 30-day TTL keeps: those of the last 29 days (a fixed
    // cutoff, so both ways count the same rows). Older days are dropped whole
    // when the store's merges get to them, which no two runs do alike.
    const kept = (await count(`SELECT count() AS n FROM otel_logs WHERE Timestamp >= '${KEPT_FROM}'`)) + (await count(`SELECT count() AS n FROM otel_traces WHERE Timestamp >= '${KEPT_FROM}'`));
    const mvRows = await count("SELECT sum(total_rows) AS n FROM system.tables WHERE database = currentDatabase() AND name LIKE 'hyb\\\\_%' AND name NOT LIKE 'hyb\\\\_sync%' AND name NOT LIKE 'hyb\\\\_migrations'");
    let readOnly: number | undefined;
    if (!push) {
      const readStarted = performance.now();
      for (const source of ['otel_logs', 'otel_traces'] as const) {
        await client.command({ query: `CREATE TABLE null_${source} AS ${source} ENGINE = Null` });
        // the source's columns, as hyb sync loads them (the lake has the promoted attribute columns too)
        const columns = sources[source].columns.map((c) => quoteIdent(c.name)).join(', ');
        await client.command({ query: `INSERT INTO null_${source} (${columns}) SELECT ${columns} FROM icebergLocal('${join(dir, 'lake', source)}')` });
      }
      readOnly = synced / ((performance.now() - readStarted) / 1000);
    }
    await client.close();
    return { rows: synced, kept, seconds, mvRows, direct, readOnly };
  });
}

// The two ways side by side, alternating: the store reading the lake itself (the default where it can), and --push.
const direct: Round[] = [];
const pushed: Round[] = [];
for (let i = 0; i < ROUNDS; i++) {
  direct.push(await round(false));
  pushed.push(await round(true));
}
const rate = (rounds: Round[]) => median(rounds.map((r) => r.rows / r.seconds));
const first = direct[0]!;
if (first.direct === 0) throw new Error('the store did not read the lake itself');
// (rollup row counts depend on how far the store has merged, so only the raw rows are compared)
if (pushed.some((r) => r.kept !== first.kept)) throw new Error(`--push kept other raw rows: ${JSON.stringify({ direct: first, pushed })}`);
report({
  bench: 'sync',
  setup: `\`hyb sync\` loading the whole ${(first.rows / 1e6).toFixed(1)} M-row lake of the fallback bench into a fresh local store (\`hyb serve store\`) where \`hyb migrate\` created the raw tables and every metric's MV; end to end, ${ROUNDS} round(s) of each way, alternating: the store loading each file from the lake itself (the default when it reaches the lake), and \`hyb sync --push\` (this process reads each file and sends it as Parquet, as for a server that cannot reach the lake). Both ways leave the same raw row counts (checked; the rollups' row counts depend on how far the store has merged). Then the store reads the whole lake into Null tables: the cost of reading alone, before MergeTree and the MVs. Fewer rows stay in the raw tables than were synced: the 30-day raw TTL drops the oldest days at once, the rollups keep them.`,
  figures: [
    { measure: 'lake rows synced per second, MVs firing (store reads the lake)', value: rate(direct), unit: 'rows/s', goal: atLeast(1_000_000), note: `${first.rows.toLocaleString('en-US')} rows in ${first.seconds.toFixed(1)} s` },
    { measure: 'the same with --push (rows through the sync process)', value: rate(pushed), unit: 'rows/s', note: `${pushed[0]!.seconds.toFixed(1)} s` },
    { measure: 'the store reading the lake alone (into Null tables)', value: median(direct.map((r) => r.readOnly!)), unit: 'rows/s' },
    { measure: 'rollup rows written by the MVs', value: first.mvRows, unit: 'rows' },
    { measure: 'rows of the last 29 days in the raw tables (the 30-day TTL keeps them)', value: first.kept, unit: 'rows' },
  ],
});
