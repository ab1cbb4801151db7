/**
 * `hyb migrate` and `hyb sync` against the local store, through the official
 * client: after a sync every metric's MV answer equals its fallback answer
 * over the lake; late rows (old timestamps, new files) arrive with the next
 * sync; `hyb sync --backfill` rebuilds a tier that lost rows; raw rows and
 * rollup rows are kept as long as configured and declared; a sync killed
 * with SIGKILL at a random point, 20 times (50 in `npm run
 * test:reliability`), and rerun each time loads every row exactly once,
 * checked after every rerun.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from '../compiler/project.ts';
import { generateDays, toJsonEachRow } from '../runtime/seed/generate.ts';
import { BATCH_ROWS, batchFiles, batchId, LakeReader } from '../runtime/sync/sync.ts';
import { loadConfig } from '../compiler/config.ts';
import { sources, type SourceName } from '../schemas/sources.ts';
import type { CompiledMetric } from '../compiler/codegen/typescript.ts';
import { expectSameRows, floatColumns } from './support/compare.ts';
import { attachLake, openEngine, queryJson, tempDir, type JsonResult } from './support/lake.ts';
import { hyb, projectRoot } from './support/project.ts';
import { projectWithConfig, startService, type RunningService } from './support/services.ts';

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const range = { from: `${day(-12)} 00:00:00.000`, to: `${day(1)} 00:00:00.000` };

let lake: string;
let project: string;
let store: RunningService;
let client: ClickHouseClient;
let engine: Session;
let metrics: readonly CompiledMetric[];

beforeAll(async () => {
  lake = tempDir('lake');
  const storePath = tempDir('store');
  project = projectWithConfig({ lake: { kind: 'local', path: lake }, store: { path: storePath } });
  store = await startService(['store'], project);
  // now that the store has a port, point the project's clickhouse.url at it
  writeFileSync(
    join(project, 'hyb.config.ts'),
    `import { defineConfig } from './compiler/dsl/index.ts';\nexport default defineConfig(${JSON.stringify({ lake: { kind: 'local', path: lake }, store: { path: storePath }, clickhouse: { url: store.url } })});\n`,
  );
  client = createClient({ url: store.url });
  metrics = (await compileProject(projectRoot)).metrics;
}, 60_000);

afterAll(async () => {
  await client?.close();
  await store?.stop();
  engine?.close();
});

function seed(args: string[]): void {
  const run = hyb(['seed', '--via', 'direct', ...args], project);
  expect(run.status, run.stderr).toBe(0);
}

/** Every metric: the MV query through the client equals the fallback over the lake. */
async function expectMvEqualsFallback(): Promise<void> {
  engine ??= openEngine(lake);
  attachLake(engine, lake, ['otel_logs', 'otel_traces']);
  const userId = (queryJson(engine, "SELECT LogAttributes['user.id'] AS u FROM lake.otel_logs WHERE SeverityText = 'ERROR' LIMIT 1", {}).data[0] as { u: string }).u;
  const withMv = metrics.filter((m) => m.sql.mvQuery);
  const paramsOf = (m: CompiledMetric) => Object.fromEntries(m.sql.params.map((p) => [p.name, p.name === 'from' ? range.from : p.name === 'to' ? range.to : p.name === 'userId' ? userId : null]));
  // The store answers the MV queries in its own process while this one runs the fallbacks.
  const mvAnswers = withMv.map(async (m) => {
    // numbers as chDB in-process prints them (a server quotes 64-bit integers by default)
    const result = await client.query({ query: m.sql.mvQuery!, query_params: paramsOf(m), format: 'JSON', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    return (await result.json()) as JsonResult;
  });
  void Promise.allSettled(mvAnswers); // a failed comparison below leaves no unhandled rejection
  for (const [i, m] of withMv.entries()) {
    const fallback = queryJson(engine, m.sql.fallbackQuery, paramsOf(m));
    const mv = await mvAnswers[i]!;
    expect(fallback.data.length, `${m.ir.name} has rows`).toBeGreaterThan(0);
    try {
      expectSameRows(mv, fallback, floatColumns(m));
    } catch (error) {
      throw new Error(`${m.ir.name}: ${(error as Error).message}`);
    }
  }
}

const count = async (sql: string) => Number(((await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as { n: string }[])[0]!.n);

describe('migrate and sync', () => {
  it('migrates idempotently, syncs the lake, and the MVs answer as the lake does', async () => {
    expect(hyb(['migrate', '--plan'], project).stdout).toMatch(/would create source otel_logs/);
    const first = hyb(['migrate'], project);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/created mv hyb_top_pages_\w+_mv/);
    expect(hyb(['migrate'], project).stderr).toMatch(/up to date/);

    seed(['--days', '3', '--events', '6000', '--seed', '21', '--start', day(-4)]);
    const sync = hyb(['sync'], project);
    expect(sync.status, sync.stderr).toBe(0);
    // the embedded store reaches the local lake: it loads every file itself
    const [, files, direct] = /hyb sync: (\d+) file\(s\), \d+ rows \((\d+) read by ClickHouse from the lake\)/.exec(sync.stderr) ?? [];
    expect(Number(files)).toBeGreaterThan(0);
    expect(direct).toBe(files);
    await expectMvEqualsFallback();
    const state = (await (await client.query({ query: 'SELECT source, files, last_error FROM hyb_sync_state FINAL ORDER BY source', format: 'JSONEachRow' })).json()) as { source: string; files: string; last_error: string }[];
    expect(state.find((s) => s.source === 'otel_logs')).toMatchObject({ last_error: '' });
    expect(Number(state.find((s) => s.source === 'otel_logs')!.files)).toBeGreaterThan(0);
    expect(hyb(['sync'], project).stderr).toMatch(/hyb sync: 0 file\(s\), 0 rows/);
    // the raw tables sort as the lake's files do, so a file loaded alone is not sorted again
    const keys = (await (await client.query({ query: "SELECT name, sorting_key FROM system.tables WHERE database = currentDatabase() AND name IN ('otel_logs', 'otel_traces') ORDER BY name", format: 'JSONEachRow' })).json()) as { name: SourceName; sorting_key: string }[];
    expect(keys).toEqual(['otel_logs', 'otel_traces'].map((name) => ({ name, sorting_key: sources[name as SourceName].sortOrder.join(', ') })));
  }, 120_000);

  it('lists the lake through the server that reaches it, the files the sync recorded; none from a server out of reach', async () => {
    const cwd = process.cwd(); // the reader works inside the lake folder
    const reader = new LakeReader(project, await loadConfig(project));
    try {
      const recorded = (await (await client.query({ query: "SELECT path, toUInt32(rows) AS rows FROM hyb_sync_files FINAL WHERE source = 'otel_logs' ORDER BY path", format: 'JSONEachRow' })).json()) as { path: string; rows: number }[];
      expect(recorded.length).toBeGreaterThan(0);
      expect(await reader.serverFiles('otel_logs', client)).toEqual(recorded);
      expect(await reader.serverFiles('otel_metrics_sum', client)).toEqual([]); // no table in the lake
      const unreachable = createClient({ url: 'http://127.0.0.1:9' });
      try {
        expect(await reader.serverFiles('otel_logs', unreachable)).toBeNull();
      } finally {
        await unreachable.close();
      }
    } finally {
      reader.close();
      process.chdir(cwd);
    }
  });

  it('brings late rows, older than the last sync, into the MVs', async () => {
    const before = await count("SELECT count() AS n FROM otel_logs WHERE toDate(Timestamp) <= today() - 9");
    seed(['--days', '2', '--events', '2000', '--seed', '22', '--start', day(-10)]); // timestamps days older than what was synced
    expect(hyb(['sync'], project).status).toBe(0);
    expect(await count("SELECT count() AS n FROM otel_logs WHERE toDate(Timestamp) <= today() - 9")).toBeGreaterThan(before);
    await expectMvEqualsFallback();
  }, 120_000);

  it('rebuilds the raw tables and rollups from the lake with --backfill, with progress, every row once', async () => {
    const raw = 'SELECT count() AS n FROM otel_logs';
    const lakeRows = await count("SELECT toUInt64(sum(rows)) AS n FROM hyb_sync_files FINAL WHERE source = 'otel_logs'");
    const before = await count(raw);
    expect(before).toBeGreaterThan(0);
    // a tier that lost rows: one rollup and the raw table emptied behind the sync's back
    const rollup = metrics.find((m) => m.ir.name === 'pageviews_per_day')!.sql.target!;
    await client.command({ query: `TRUNCATE TABLE ${rollup}` });
    await client.command({ query: 'TRUNCATE TABLE otel_logs' });
    expect(hyb(['sync'], project).stderr).toMatch(/hyb sync: 0 file\(s\), 0 rows/); // the sync alone cannot know
    const run = hyb(['sync', '--backfill'], project);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/hyb sync \[#+\]/);
    const [, files] = /hyb sync: (\d+) file\(s\), \d+ rows/.exec(run.stderr) ?? [];
    expect(Number(files)).toBeGreaterThan(0);
    expect(await count(raw)).toBe(before);
    expect(await count("SELECT toUInt64(sum(rows)) AS n FROM hyb_sync_files FINAL WHERE source = 'otel_logs'")).toBe(lakeRows);
    await expectMvEqualsFallback();
  }, 120_000);

  it('keeps raw rows for retention.rawDays and rollup rows for their metric\'s retention', async () => {
    // rows 40 days old (past the raw 30 days, within the rollups' 90) and 100 days old (past both)
    seed(['--days', '1', '--events', '600', '--seed', '23', '--start', day(-40)]);
    seed(['--days', '1', '--events', '600', '--seed', '24', '--start', day(-100)]);
    expect(hyb(['sync'], project).status).toBe(0);
    engine ??= openEngine(lake);
    attachLake(engine, lake, ['otel_logs']);
    const inLake = queryJson(engine, 'SELECT count() AS n FROM lake.otel_logs WHERE Timestamp < now() - INTERVAL 30 DAY', {}).data[0] as { n: number };
    expect(Number(inLake.n)).toBeGreaterThan(0);
    const rollup = metrics.find((m) => m.ir.name === 'pageviews_per_day')!;
    // merges apply a TTL; FINAL makes them run now
    for (const table of ['otel_logs', rollup.sql.target!]) await client.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
    expect(await count('SELECT count() AS n FROM otel_logs WHERE Timestamp < now() - INTERVAL 30 DAY')).toBe(0);
    expect(await count('SELECT count() AS n FROM otel_logs WHERE Timestamp >= now() - INTERVAL 29 DAY')).toBeGreaterThan(0);
    expect(rollup.ir.retentionDays).toBe(90);
    expect(await count(`SELECT count() AS n FROM ${rollup.sql.target} WHERE bucket < now() - INTERVAL 30 DAY AND bucket >= now() - INTERVAL 89 DAY`)).toBeGreaterThan(0);
    expect(await count(`SELECT count() AS n FROM ${rollup.sql.target} WHERE bucket < now() - INTERVAL 90 DAY`)).toBe(0);
    // every rollup keeps what its metric declares
    const created = (await (await client.query({ query: "SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() AND name LIKE 'hyb\\_%' AND name NOT LIKE '%\\_mv'", format: 'JSONEachRow' })).json()) as { name: string; create_table_query: string }[];
    for (const m of metrics.filter((x) => x.sql.target)) {
      expect(created.find((t) => t.name === m.sql.target)?.create_table_query, m.ir.name).toMatch(new RegExp(`TTL bucket \\+ toIntervalDay\\(${m.ir.retentionDays}\\)`));
    }
  }, 120_000);

  // npm test: 20 kills; npm run test:reliability (vitest.reliability.config.ts): HYB_SYNC_KILLS=50.
  const KILLS = Number(process.env.HYB_SYNC_KILLS ?? 20);
  it(`loads every row exactly once after each of ${KILLS} SIGKILLs at random points: after every rerun the MVs answer as the lake does`, async () => {
    expect(hyb(['migrate'], project).status).toBe(0); // idempotent; lets this test run alone
    engine ??= openEngine(lake);
    // odd rounds push the rows through the sync process (--push); even ones have the store read the lake
    const sync = (push: boolean, env: Record<string, string> = {}) =>
      spawn(process.execPath, [join(projectRoot, 'bin/hyb.mjs'), 'sync', ...(push ? ['--push'] : [])], { cwd: project, stdio: 'ignore', env: { ...process.env, ...env } });
    const exitOf = (child: ReturnType<typeof sync>) => new Promise<NodeJS.Signals | number>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code!)));
    /** A sync to the end, then: each source's raw table holds the lake's rows once (those its TTL keeps), and every MV answers as the lake does. */
    const rerunAndCheck = async (push: boolean) => {
      const rerun = hyb(['sync', ...(push ? ['--push'] : [])], project);
      expect(rerun.status, rerun.stderr).toBe(0);
      expect(rerun.stderr).toMatch(push ? /hyb sync: (0 file\(s\)|\d+ file\(s\), \d+ rows \(0 read)/ : /hyb sync: (0 file\(s\)|(\d+) file\(s\), \d+ rows \(\2 read)/);
      await expectMvEqualsFallback(); // attaches the lake views the counts read
      // (clear of the raw 30 days' edge, which moves as the test runs)
      const kept = 'Timestamp >= now() - INTERVAL 29 DAY';
      for (const source of ['otel_logs', 'otel_traces']) {
        const lakeRows = Number((queryJson(engine, `SELECT count() AS n FROM lake.${source} WHERE ${kept}`, {}).data[0] as { n: number }).n);
        expect(await count(`SELECT count() AS n FROM ${source} WHERE ${kept}`), `${source}: raw rows == lake rows`).toBe(lakeRows);
      }
    };

    /** Appends seed rows to the lake from this process's chDB session, one Iceberg commit per source and day (no writer process to start). */
    const appendToLake = async (options: Parameters<typeof generateDays>[0]) => {
      for (const rows of generateDays(options)) {
        for (const source of ['otel_logs', 'otel_traces'] as const) {
          await engine.insert({ table: `writer.${source}`, values: Buffer.from(toJsonEachRow(rows[source])), format: 'JSONEachRow', settings: { allow_experimental_insert_into_iceberg: 1 } });
        }
      }
    };

    // First the worst instant, on purpose: a file loaded and not yet recorded.
    seed(['--days', '3', '--events', '3000', '--seed', '23', '--start', day(-11)]);
    // appendToLake's tables: the lake's, which the seed has just made
    engine.query('CREATE DATABASE IF NOT EXISTS writer');
    for (const source of ['otel_logs', 'otel_traces']) engine.query(`CREATE TABLE IF NOT EXISTS writer.${source} ENGINE = IcebergLocal('${source}')`);
    for (const push of [false, true]) {
      // three days of new files per source: one batch, one INSERT
      await appendToLake({ seed: 90 + Number(push), start: day(-12), days: 3, sessionsPerDay: 45, users: 30 });
      expect(await exitOf(sync(push, { HYB_FAILPOINT: 'after-sync-insert' }))).toBe('SIGKILL');
      const pending = await client.query({ query: 'SELECT batch, length(paths) AS files FROM hyb_sync_batches FINAL WHERE done = 0', format: 'JSONEachRow' });
      const [batch] = (await pending.json()) as { batch: string; files: number }[];
      expect(Number(batch?.files), 'the killed sync left its batch of several files pending').toBeGreaterThan(1);
      // a file landing before the rerun must not join that batch: its token would change, its rows load twice
      await appendToLake({ seed: 95 + Number(push), start: day(-9), days: 1, sessionsPerDay: 45, users: 30 });
      await rerunAndCheck(push);
      const redone = await client.query({ query: 'SELECT done FROM hyb_sync_batches FINAL WHERE batch = {batch:String}', query_params: { batch: batch!.batch }, format: 'JSONEachRow' });
      expect(await redone.json(), 'the rerun sent that same batch again').toEqual([{ done: 1 }]);
    }

    let kills = 0;
    let midWork = 0;
    for (let round = 0; kills < KILLS && round < 3 * KILLS; round++) {
      // New lake files for this round (two days, both sources: four commits), some of them late rows.
      await appendToLake({ seed: 100 + round, start: day(-3 - (round % 8)), days: 2, sessionsPerDay: 45, users: 30 });
      const before = await count('SELECT count() AS n FROM hyb_sync_files FINAL');
      const push = round % 2 === 1;
      const child = sync(push);
      const exit = exitOf(child);
      let exited = false;
      void exit.then(() => (exited = true));
      // Kill at a random point: as it starts, or once it has recorded one to three of the new files (so, mid-load).
      const target = before + Math.floor(Math.random() * 4);
      const deadline = Date.now() + 8_000;
      while (!exited && Date.now() < deadline && (await count('SELECT count() AS n FROM hyb_sync_files FINAL')) < target) {
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
      }
      if (!exited) child.kill('SIGKILL');
      if ((await exit) !== 'SIGKILL') continue; // it finished first: not a kill; the check below would hold trivially
      kills += 1;
      if ((await count('SELECT count() AS n FROM hyb_sync_files FINAL')) > before) midWork += 1;
      await rerunAndCheck(push);
    }
    console.log(`sync crash safety: ${kills} SIGKILLs survived (${midWork} after loading part of the new files), each followed by a rerun with raw == lake and every MV == its fallback`);
    expect(kills).toBe(KILLS);
    expect(midWork).toBeGreaterThanOrEqual(KILLS / 2);
  }, 900_000);

  it('a changed metric: its new version is created, backfilled and ready before the old one is dropped', async () => {
    const before = (await compileProject(project)).metrics.find((m) => m.ir.name === 'top_pages')!;
    const file = join(project, 'metrics/pageviews.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("measures: { views: count(), visitors: uniq(logs.attr('user.id')) },", "measures: { views: count(), visitors: uniq(logs.attr('user.id')), sessions: uniq(logs.attr('session.id')) },"));
    const after = (await compileProject(project)).metrics.find((m) => m.ir.name === 'top_pages')!;
    expect(after.sql.target).not.toBe(before.sql.target);

    const plan = hyb(['migrate', '--plan'], project);
    expect(plan.stdout).toContain(`would create target ${after.sql.target}`);
    const run = hyb(['migrate'], project);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    const readyAt = lines.indexOf(`ready ${after.sql.target}`);
    expect(readyAt, run.stdout).toBeGreaterThanOrEqual(0);
    expect(lines.indexOf(`dropped ${before.sql.target}`)).toBeGreaterThan(readyAt);
    expect(run.stderr).toMatch(/backfill top_pages \[#+\]/);
    // the store reaches the lake: it read every file of the backfill itself
    const [, files, direct] = new RegExp(`backfilled ${after.sql.target} from (\\d+) file\\(s\\) \\((\\d+) read by ClickHouse`).exec(run.stdout) ?? [];
    expect(Number(files)).toBeGreaterThan(0);
    expect(direct).toBe(files);

    // the backfilled version answers as the lake does, without a new sync
    engine ??= openEngine(lake);
    const mv = (await (await client.query({ query: after.sql.mvQuery!, query_params: range, format: 'JSON', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json()) as JsonResult;
    expectSameRows(mv, queryJson(engine, after.sql.fallbackQuery, range), floatColumns(after));
    const tables = ((await (await client.query({ query: 'SELECT name FROM system.tables WHERE database = currentDatabase()', format: 'JSONEachRow' })).json()) as { name: string }[]).map((t) => t.name);
    expect(tables).toContain(after.sql.target);
    expect(tables).not.toContain(before.sql.target);
    expect(tables).not.toContain(before.sql.mv);
    const states = (await (await client.query({ query: 'SELECT object, state FROM hyb_migrations FINAL WHERE metric = {m:String}', query_params: { m: 'top_pages' }, format: 'JSONEachRow' })).json()) as { object: string; state: string }[];
    expect(states).toEqual(expect.arrayContaining([{ object: after.sql.target, state: 'ready' }, { object: before.sql.target, state: 'dropped' }]));

    // changed again, backfilled with --push: the rows go through hyb migrate, and the answer is the same
    writeFileSync(file, readFileSync(file, 'utf8').replace("sessions: uniq(logs.attr('session.id')) },", "sessions: uniq(logs.attr('session.id')), services: uniq(logs.col('ServiceName')) },"));
    const third = (await compileProject(project)).metrics.find((m) => m.ir.name === 'top_pages')!;
    const pushed = hyb(['migrate', '--push'], project);
    expect(pushed.status, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(new RegExp(`backfilled ${third.sql.target} from [1-9]\\d* file\\(s\\) \\(0 read by ClickHouse`));
    const again = (await (await client.query({ query: third.sql.mvQuery!, query_params: range, format: 'JSON', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json()) as JsonResult;
    expectSameRows(again, queryJson(engine, third.sql.fallbackQuery, range), floatColumns(third));
  }, 120_000);

  it('keeps a removed metric\'s objects unless told to drop them', async () => {
    const file = join(project, 'metrics/web-vitals.ts');
    const metric = (await compileProject(project)).metrics.find((m) => m.ir.name === 'web_vitals')!;
    rmSync(file);
    const kept = hyb(['migrate'], project);
    expect(kept.stdout).toContain(`kept ${metric.sql.target} (its metric is gone; --drop-removed drops it)`);
    const dropped = hyb(['migrate', '--drop-removed'], project);
    expect(dropped.stdout).toContain(`dropped ${metric.sql.target}`);
  }, 60_000);

  it('keeps syncing with --every, and names a bad interval', async () => {
    expect(hyb(['sync', '--every', 'soon'], project).stderr).toMatch(/HYB_USAGE: --every: 'soon'/);
    const before = await count('SELECT count() AS n FROM hyb_sync_files FINAL');
    const looping = spawn(process.execPath, [join(projectRoot, 'bin/hyb.mjs'), 'sync', '--every', '1'], { cwd: project, stdio: 'ignore' });
    try {
      seed(['--days', '1', '--events', '800', '--seed', '31', '--start', day(-1)]); // lands while it loops
      const until = Date.now() + 30_000;
      while (Date.now() < until && (await count('SELECT count() AS n FROM hyb_sync_files FINAL')) <= before) await new Promise((r) => setTimeout(r, 200));
      expect(await count('SELECT count() AS n FROM hyb_sync_files FINAL')).toBeGreaterThan(before);
    } finally {
      looping.kill('SIGTERM');
    }
  }, 60_000);

  it('runs migrate and sync one at a time, and takes over a lock whose holder died', () => {
    const lock = join(project, '.hyb', 'tier.lock');
    // a live holder: this test process
    writeFileSync(lock, `${process.pid} migrate`);
    const refused = hyb(['sync'], project);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`HYB_LOCKED: hyb migrate is running \\(pid ${process.pid}\\)`));
    const waited = hyb(['migrate', '--wait', '1'], project);
    expect(waited.stderr).toMatch(/hyb migrate: hyb migrate is running .*; migrate waits for it to finish\n[\s\S]*HYB_LOCKED/);
    // a dead holder (a SIGKILLed sync leaves its lock behind)
    writeFileSync(lock, '999999 sync');
    const taken = hyb(['sync'], project);
    expect(taken.status, taken.stderr).toBe(0);
    expect(existsSync(lock)).toBe(false);
  }, 60_000);
});

describe('sync batches', () => {
  it('gathers small new files into batches up to BATCH_ROWS rows, a larger file alone, each batch named by its files', () => {
    const file = (path: string, rows: number) => ({ path, rows });
    const half = BATCH_ROWS / 2;
    const batches = batchFiles([file('a', 10), file('b', half), file('c', half + 1), file('d', half - 5), file('e', 5), file('f', 1), file('g', BATCH_ROWS * 3)]);
    expect(batches.map((b) => b.map((f) => f.path).join(''))).toEqual(['c', 'ab', 'g', 'def']);
    expect(batchFiles([])).toEqual([]);
    expect(batchId('otel_logs', ['a', 'b'])).toBe(batchId('otel_logs', ['a', 'b']));
    expect(batchId('otel_logs', ['a', 'b'])).not.toBe(batchId('otel_logs', ['b', 'a']));
    expect(batchId('otel_logs', ['a'])).not.toBe(batchId('otel_traces', ['a']));
  });
});
