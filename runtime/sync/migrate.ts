/**
 * `hyb migrate`: the ClickHouse objects the compiler declares — raw source
 * tables, and per metric a versioned target table and MV — created where
 * missing and recorded in `hyb_migrations` with a state the router reads.
 *
 * A changed metric has a new version (the compiler's hash suffix): its target
 * and MV are created ('building'), the target is backfilled with every lake
 * file already synced (files synced later reach it through the MV), then it
 * is marked 'ready' — the router uses a version only once it is ready — and
 * only then are the superseded versions dropped. A removed metric's objects
 * are dropped only when asked (`--drop-removed`). Statements are
 * `CREATE … IF NOT EXISTS`, so a rerun after a failure picks up where it
 * stopped. It never runs alongside `hyb sync` (lock.ts): a file loaded
 * during a backfill could be counted twice.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ProjectCompile } from '../../compiler/project.ts';
import { backfillTable } from '../../compiler/sql/metric.ts';
import { rawTableDDL } from '../../compiler/sql/sources.ts';
import { sourceNames, type SourceName } from '../../schemas/sources.ts';
import { batchFiles, blocks, insertFromLake, insertParquet, now, serverReadsLake } from './sync.ts';

export interface Step {
  readonly object: string;
  readonly kind: 'source' | 'target' | 'mv';
  /** The metric (query name) a target or MV belongs to. */
  readonly metric: string;
  readonly version: string;
  readonly statement: string;
}

/** The lake's data files, for a backfill: read here as Parquet (sync.ts's LakeReader), or by the server through its table function. */
export interface FileSource {
  /** Data files' rows as one Parquet stream. */
  parquet(source: SourceName, paths: readonly string[]): Promise<Uint8Array>;
  /** The table function a server that reaches the lake reads one of its data files with. */
  fileFunction(path: string): string;
  /** Always send the rows from here, as `hyb sync --push` does. */
  readonly push?: boolean;
}

export interface Backfill {
  readonly target: string;
  readonly files: number;
  /** Of `files`, those the server read from the lake itself. */
  readonly direct: number;
}

export interface MigrateReport {
  readonly created: Step[];
  readonly ready: string[];
  readonly dropped: string[];
  readonly backfilled: Backfill[];
  /** Objects of metrics no longer declared, kept because dropRemoved was not set. */
  readonly kept: string[];
}

const STATE_DDL =
  "CREATE TABLE IF NOT EXISTS hyb_migrations (object String, kind LowCardinality(String), metric String, version String, state LowCardinality(String), statement String, at DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree(at) ORDER BY object";

interface Recorded {
  readonly object: string;
  readonly kind: Step['kind'];
  readonly metric: string;
  readonly version: string;
  readonly state: 'building' | 'ready' | 'dropped';
}

/** Every object the project declares, in creation order (sources first, each MV after its target). */
export function declared(compiled: ProjectCompile): Step[] {
  const { config } = compiled;
  const ddl = { ttlDays: config.retention.rawDays, cluster: config.clickhouse.cluster };
  const steps: Step[] = sourceNames.map((source) => ({ object: source, kind: 'source', metric: '', version: '', statement: rawTableDDL(source, ddl) }));
  for (const m of compiled.metrics) {
    const common = { metric: m.ir.name, version: m.sql.version };
    if (m.sql.target && m.sql.targetDDL) steps.push({ object: m.sql.target, kind: 'target', statement: m.sql.targetDDL, ...common });
    if (m.sql.mv && m.sql.mvDDL) steps.push({ object: m.sql.mv, kind: 'mv', statement: m.sql.mvDDL, ...common });
  }
  return steps;
}

async function recorded(client: ClickHouseClient): Promise<Recorded[]> {
  await client.command({ query: STATE_DDL });
  const result = await client.query({ query: 'SELECT object, kind, metric, version, state FROM hyb_migrations FINAL', format: 'JSONEachRow' });
  return (await result.json()) as Recorded[];
}

async function record(client: ClickHouseClient, step: Pick<Step, 'object' | 'kind' | 'metric' | 'version'> & { statement?: string }, state: Recorded['state']): Promise<void> {
  await client.insert({ table: 'hyb_migrations', values: [{ statement: '', ...step, state, at: now() }], format: 'JSONEachRow' });
}

/** The declared objects not yet created (or dropped since). */
export async function plan(client: ClickHouseClient, compiled: ProjectCompile): Promise<Step[]> {
  const live = new Set((await recorded(client)).filter((r) => r.state !== 'dropped').map((r) => r.object));
  return declared(compiled).filter((step) => !live.has(step.object));
}

export async function migrate(
  client: ClickHouseClient,
  compiled: ProjectCompile,
  options: { files?: FileSource; dropRemoved?: boolean; progress?: (metric: string, done: number, total: number) => void } = {},
): Promise<MigrateReport> {
  const steps = await plan(client, compiled);
  const created: Step[] = [];
  for (const step of steps.filter((s) => s.kind === 'source')) {
    await client.command({ query: step.statement });
    await record(client, step, 'ready');
    created.push(step);
  }

  // New metric versions: create, backfill, mark ready.
  const ready: string[] = [];
  const backfilled: Backfill[] = [];
  const byMetric = new Map<string, Step[]>();
  for (const step of steps) if (step.kind !== 'source') byMetric.set(step.metric, [...(byMetric.get(step.metric) ?? []), step]);
  for (const [metric, objects] of byMetric) {
    for (const step of objects) {
      await client.command({ query: step.statement });
      await record(client, step, 'building');
      created.push(step);
    }
    const m = compiled.metrics.find((x) => x.ir.name === metric)!;
    if (m.sql.backfill) {
      const loaded = await backfill(client, m.ir.source as SourceName, m.sql.backfill, options.files, (done, total) => options.progress?.(metric, done, total));
      if (loaded.files > 0) backfilled.push({ target: m.sql.target!, ...loaded });
    }
    for (const step of objects) await record(client, step, 'ready');
    ready.push(m.sql.target!);
  }

  // Superseded versions (the metric is still declared) and removed metrics.
  const current = new Map(compiled.metrics.map((m) => [m.ir.name, m.sql.version]));
  const dropped: string[] = [];
  const kept: string[] = [];
  const stale = (await recorded(client)).filter((r) => r.kind !== 'source' && r.state !== 'dropped' && current.get(r.metric) !== r.version);
  // MVs before their targets, so nothing writes into a dropped table.
  for (const r of stale.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'mv' ? -1 : 1))) {
    const removed = !current.has(r.metric);
    if (removed && !options.dropRemoved) {
      kept.push(r.object);
      continue;
    }
    await client.command({ query: `DROP ${r.kind === 'mv' ? 'VIEW' : 'TABLE'} IF EXISTS ${r.object}` });
    await record(client, r, 'dropped');
    dropped.push(r.object);
  }
  return { created, ready, dropped, backfilled, kept };
}

/**
 * Fills a new target with every lake file already synced into `source`:
 * the files are staged in a Memory copy of the source table, a batch at a
 * time (as hyb sync batches them), and put through the MV's own SELECT.
 */
async function backfill(
  client: ClickHouseClient,
  source: SourceName,
  statement: string,
  files: FileSource | undefined,
  progress: (done: number, total: number) => void,
): Promise<{ files: number; direct: number }> {
  // Never synced: nothing to backfill (asked first, so the client logs no error).
  const exists = (await (await client.query({ query: 'EXISTS TABLE hyb_sync_files', format: 'JSONEachRow' })).json()) as { result: number }[];
  if (!exists[0]?.result) return { files: 0, direct: 0 };
  const synced = (
    (await (
      await client.query({ query: 'SELECT path, rows FROM hyb_sync_files FINAL WHERE source = {source:String} ORDER BY path', query_params: { source }, format: 'JSONEachRow' })
    ).json()) as { path: string; rows: string | number }[]
  ).map((r) => ({ path: r.path, rows: Number(r.rows) }));
  if (synced.length === 0) return { files: 0, direct: 0 };
  if (!files) throw new Error(`${source}: ${synced.length} synced lake file(s) to backfill, and no lake reader`);
  // as hyb sync: the server loads the files itself when it reaches the lake
  const direct = !files.push && (await serverReadsLake(client, files.fileFunction(synced[0]!.path), synced[0]!));
  const staging = backfillTable(source);
  await client.command({ query: `CREATE TABLE IF NOT EXISTS ${staging} AS ${source} ENGINE = Memory` });
  try {
    let done = 0;
    for (const batch of batchFiles(synced)) {
      progress(done, synced.length);
      const paths = batch.map((f) => f.path);
      await client.command({ query: `TRUNCATE TABLE ${staging}` });
      if (direct) await insertFromLake(client, paths.map((p) => files.fileFunction(p)), source, staging);
      else await insertParquet(client, staging, await files.parquet(source, paths), blocks(paths.length));
      await client.command({ query: statement });
      done += batch.length;
    }
    progress(synced.length, synced.length);
  } finally {
    await client.command({ query: `DROP TABLE IF EXISTS ${staging}` });
  }
  return { files: synced.length, direct: direct ? synced.length : 0 };
}
