/**
 * `hyb sync`: lake → the raw MergeTree tables, whose MVs keep the rollups.
 *
 * The unit is the lake's data file, not a timestamp: every Parquet file of a
 * source's Iceberg table not yet listed in `hyb_sync_files` is loaded whole,
 * so late rows (old timestamps in a new file) reach the MVs like any other.
 * Exactly once: each file goes in as one INSERT with a deduplication token
 * derived from its path (also for the MVs it fires), and is recorded only
 * after; a sync killed in between re-sends the file and ClickHouse drops it
 * as a duplicate.
 *
 * Two ways a file gets there. When the ClickHouse server can read the lake
 * itself (the embedded store with a local lake, a server given the S3
 * lake's keys), it loads the data file straight from the lake as Parquet
 * (`file()` or `s3()`: this process has listed the table's files already,
 * so the server need not read its Iceberg metadata again per file):
 * nothing passes through this process, and the rows are decoded once.
 * Otherwise this process reads the file and sends it as Parquet. Which one
 * is probed per source and pass: the server counts the first new file's
 * rows, and only the lake's own count lets it load.
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { Session } from 'chdb';
import type { HybConfig } from '../../schemas/config.ts';
import { sourceNames, sources, type SourceName } from '../../schemas/sources.ts';
import { quoteIdent } from '../../compiler/sql/expr.ts';
import { enterLocalLake, lakeFileFunction, lakeReadFunction, localLakePath, localTableExists } from '../lake/location.ts';

const STATE_DDL = [
  "CREATE TABLE IF NOT EXISTS hyb_sync_files (source LowCardinality(String), path String, rows UInt64, loaded_at DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree ORDER BY (source, path)",
  "CREATE TABLE IF NOT EXISTS hyb_sync_state (source LowCardinality(String), files UInt64, rows UInt64, synced_at DateTime64(3, 'UTC'), newest_event Nullable(DateTime64(6, 'UTC')), lag_seconds Nullable(Float64), last_error String) ENGINE = ReplacingMergeTree(synced_at) ORDER BY source",
];

export interface LakeFile {
  readonly path: string;
  readonly rows: number;
}

/** The lake through this process's own chDB session (one per process). */
export class LakeReader {
  #session: Session;

  constructor(
    private readonly root: string,
    private readonly config: HybConfig,
  ) {
    enterLocalLake(root, config.lake);
    this.#session = new Session();
  }

  /** The source's data files with their row counts; none while the table does not exist. */
  async files(source: SourceName): Promise<LakeFile[]> {
    if (this.config.lake.kind === 'local' && !localTableExists(localLakePath(this.root, this.config.lake), source)) return [];
    try {
      const result = await this.#session.queryAsync(`SELECT _path AS path, count() AS rows FROM ${lakeReadFunction(this.root, this.config.lake, source)} GROUP BY _path ORDER BY _path`, { format: 'JSONEachRow' });
      return result
        .text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { path: string; rows: string | number })
        .map((r) => ({ path: r.path, rows: Number(r.rows) }));
    } catch (error) {
      // an S3 lake where this source has no table yet
      if (this.config.lake.kind === 's3' && /doesn't exist|does not exist|NoSuchKey|NOT_FOUND|FILE_DOESNT_EXIST/i.test((error as Error).message)) return [];
      throw error;
    }
  }

  /** The table function a server that reaches the lake reads one of its data files with. */
  fileFunction(path: string): string {
    return lakeFileFunction(this.config.lake, path);
  }

  /** One data file's rows as Parquet: the source's columns (not the lake's promoted attribute columns, which ClickHouse's tables do not have). */
  async parquet(source: SourceName, path: string): Promise<Uint8Array> {
    const columns = sources[source].columns.map((c) => quoteIdent(c.name)).join(', ');
    const result = await this.#session.queryAsync(`SELECT ${columns} FROM ${this.fileFunction(path)}`, { format: 'Parquet' });
    return result.bytes();
  }

  close(): void {
    this.#session.close();
  }
}

/** Now, as a DateTime64(3) literal ClickHouse reads from JSON. */
export const now = (): string => new Date().toISOString().replace('T', ' ').replace('Z', '');

/** One Parquet file into `table` as one INSERT. */
export async function insertParquet(client: ClickHouseClient, table: string, parquet: Uint8Array, settings: ClickHouseSettings = {}): Promise<void> {
  const values = Readable.from([Buffer.from(parquet.buffer, parquet.byteOffset, parquet.byteLength)], { objectMode: false });
  await client.insert({ table, values, format: 'Parquet', clickhouse_settings: settings });
}

export interface SyncReport {
  readonly files: number;
  readonly rows: number;
  /** Of `files`, those the server loaded from the lake itself. */
  readonly direct: number;
}

export interface SyncOptions {
  /** Called with (done, total) in files. */
  readonly progress?: (done: number, total: number) => void;
  /** Always send the rows through this process, even when the server could read the lake. */
  readonly push?: boolean;
}

export async function prepare(client: ClickHouseClient): Promise<void> {
  for (const ddl of STATE_DDL) await client.command({ query: ddl });
}

/** Whether the server reads `file` from the lake itself: its count of the file's rows through `fileFunction` equals the lake's. */
export async function serverReadsLake(client: ClickHouseClient, fileFunction: string, file: LakeFile): Promise<boolean> {
  try {
    const result = await client.query({ query: `SELECT count() AS n FROM ${fileFunction}`, format: 'JSONEachRow' });
    const [row] = (await result.json()) as { n: string | number }[];
    return Number(row?.n) === file.rows;
  } catch {
    return false; // not in its reach (another machine, no keys, no such table function): push instead
  }
}

/**
 * One lake file's rows into `table` (a source table or a copy of one), read
 * by the server itself through `fileFunction`; one reading stream, so a
 * rerun cuts the file into the same blocks a deduplication token numbers.
 */
export async function insertFromLake(client: ClickHouseClient, fileFunction: string, source: SourceName, table: string, settings: ClickHouseSettings = {}): Promise<void> {
  const columns = sources[source].columns.map((c) => quoteIdent(c.name)).join(', ');
  await client.command({
    query: `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${fileFunction}`,
    clickhouse_settings: { ...settings, max_threads: 1 },
  });
}

/** One pass over every source. */
export async function syncOnce(reader: LakeReader, client: ClickHouseClient, options: SyncOptions = {}): Promise<SyncReport> {
  const { progress } = options;
  await prepare(client);
  const todo: { source: SourceName; file: LakeFile; direct: boolean }[] = [];
  for (const source of sourceNames) {
    const loaded = new Set(
      ((await (await client.query({ query: 'SELECT path FROM hyb_sync_files FINAL WHERE source = {source:String}', query_params: { source }, format: 'JSONEachRow' })).json()) as { path: string }[]).map((r) => r.path),
    );
    const files = (await reader.files(source)).filter((file) => !loaded.has(file.path));
    const direct = files.length > 0 && !options.push && (await serverReadsLake(client, reader.fileFunction(files[0]!.path), files[0]!));
    for (const file of files) todo.push({ source, file, direct });
  }
  let rows = 0;
  let direct = 0;
  let done = 0;
  const errors = new Map<SourceName, string>();
  const load = async ({ source, file, direct: byServer }: (typeof todo)[number]) => {
    if (errors.has(source)) return; // one failure stops that source; the next sync retries it
    const settings: ClickHouseSettings = {
      insert_deduplication_token: `hyb-sync:${source}:${file.path}`,
      deduplicate_blocks_in_dependent_materialized_views: 1,
    };
    try {
      if (byServer) await insertFromLake(client, reader.fileFunction(file.path), source, source, settings);
      else await insertParquet(client, source, await reader.parquet(source, file.path), settings);
      // Crash tests: HYB_FAILPOINT=after-sync-insert kills the process between the load and its record.
      if (process.env.HYB_FAILPOINT === 'after-sync-insert') process.kill(process.pid, 'SIGKILL');
      await client.insert({ table: 'hyb_sync_files', values: [{ source, path: file.path, rows: file.rows, loaded_at: now() }], format: 'JSONEachRow' });
      rows += file.rows;
      if (byServer) direct += 1;
    } catch (error) {
      errors.set(source, (error as Error).message);
    }
  };
  // Two files in flight: while the server loads one, the other's request,
  // its record in hyb_sync_files and (pushed) its read here are under way.
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      await load(todo[next++]!);
      progress?.(++done, todo.length);
    }
  };
  progress?.(0, todo.length); // with nothing to do, this is also the last report
  await Promise.all([worker(), worker()]);
  await recordState(client, errors);
  if (errors.size > 0) throw new Error(`sync failed for ${[...errors].map(([s, m]) => `${s}: ${m}`).join('; ')}`);
  return { files: todo.length, rows, direct };
}

/** Per source: files and rows loaded, the newest event, the lag behind it, the last error. */
async function recordState(client: ClickHouseClient, errors: ReadonlyMap<SourceName, string>): Promise<void> {
  for (const source of sourceNames) {
    const time = sources[source].timeColumn;
    const [stats] = (await (
      await client.query({
        query: `SELECT (SELECT count() FROM hyb_sync_files FINAL WHERE source = {source:String}) AS files, (SELECT sum(rows) FROM hyb_sync_files FINAL WHERE source = {source:String}) AS rows, (SELECT max(${time}) FROM ${source}) AS newest`,
        query_params: { source },
        format: 'JSONEachRow',
      })
    ).json()) as { files: string; rows: string; newest: string }[];
    const newest = Number(stats!.files) > 0 ? stats!.newest : null;
    await client.insert({
      table: 'hyb_sync_state',
      values: [
        {
          source,
          files: stats!.files,
          rows: stats!.rows ?? 0,
          synced_at: now(),
          newest_event: newest,
          lag_seconds: newest ? (Date.now() - Date.parse(`${newest.replace(' ', 'T')}Z`)) / 1000 : null,
          last_error: errors.get(source) ?? '',
        },
      ],
      format: 'JSONEachRow',
    });
  }
}
