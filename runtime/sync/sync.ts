/**
 * `hyb sync`: lake → the raw MergeTree tables, whose MVs keep the rollups.
 *
 * The unit is the lake's data file, not a timestamp: every Parquet file of a
 * source's Iceberg table not yet listed in `hyb_sync_files` is loaded whole,
 * so late rows (old timestamps in a new file) reach the MVs like any other.
 *
 * Files go in batches: a source's small new files together, up to
 * BATCH_ROWS rows, in one INSERT; a larger file alone. Each INSERT costs the
 * store ~50 ms whatever its size (it plans and writes every MV once), and
 * each ingest flush leaves a small file, so a pass over 60 small files costs
 * one INSERT, not 60.
 *
 * Exactly once: a batch is written down in `hyb_sync_batches` (its files, in
 * order) before its INSERT, goes in with a deduplication token derived from
 * it (also for the MVs it fires), and its files are recorded in
 * `hyb_sync_files` after. A sync killed in between finds the batch pending
 * and sends the same batch again, which ClickHouse drops as a duplicate.
 * The token numbers the INSERT's blocks, so a rerun must cut the rows into
 * the same blocks: a batch of several files is at most BATCH_ROWS rows and
 * squashed into one block; a larger file goes alone, read by one stream, in
 * its own order (see `blocks`).
 *
 * Two ways a batch gets there. When the ClickHouse server can read the lake
 * itself (the embedded store with a local lake, a server given the S3
 * lake's keys), it loads the data files straight from the lake as Parquet
 * (`file()` or `s3()`: the table's files are listed already, so the
 * server need not read its Iceberg metadata again per file): nothing passes
 * through this process, and the rows are decoded once. Such a server also
 * lists the files, from the table's manifests, so this process starts no
 * chDB engine of its own. Otherwise this process lists the files, reads them
 * and sends them as Parquet. Which one is probed per source and pass: the
 * server counts the first new file's rows, and only the lake's own count
 * lets it load.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { Session } from 'chdb';
import type { HybConfig } from '../../schemas/config.ts';
import { sourceNames, sources, type SourceName } from '../../schemas/sources.ts';
import { quoteIdent } from '../../compiler/sql/expr.ts';
import { type LakeQuery, type ListedFile, manifestFiles } from '../lake/manifests.ts';
import { enterLocalLake, lakeFileFunction, lakeReadFunction, localLakePath, localTableExists } from '../lake/location.ts';

const STATE_DDL = [
  "CREATE TABLE IF NOT EXISTS hyb_sync_files (source LowCardinality(String), path String, rows UInt64, loaded_at DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree ORDER BY (source, path)",
  "CREATE TABLE IF NOT EXISTS hyb_sync_batches (source LowCardinality(String), batch String, paths Array(String), done UInt8, at DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree(at) ORDER BY (source, batch)",
  "CREATE TABLE IF NOT EXISTS hyb_sync_state (source LowCardinality(String), files UInt64, rows UInt64, synced_at DateTime64(3, 'UTC'), newest_event Nullable(DateTime64(6, 'UTC')), lag_seconds Nullable(Float64), last_error String) ENGINE = ReplacingMergeTree(synced_at) ORDER BY source",
];

/** A data file of the lake, as `_path` names it, and its rows. */
export type LakeFile = ListedFile;

/**
 * The lake through this process's own chDB session (one per process),
 * opened when first needed: where the ClickHouse server reaches the lake, it
 * lists the files and loads them itself, and a sync never loads chDB here
 * (~0.26 s of start-up).
 */
export class LakeReader {
  #session: Session | null = null;

  constructor(
    private readonly root: string,
    private readonly config: HybConfig,
  ) {
    enterLocalLake(root, config.lake);
  }

  /** A query on this process's engine. */
  readonly query: LakeQuery = async (sql, format) => (await (await this.#engine()).queryAsync(sql, { format })).text();

  /**
   * The source's data files with their row counts, from the table's
   * manifests (manifests.ts); chDB's listing where those do not apply. None
   * while the table does not exist.
   */
  async files(source: SourceName): Promise<LakeFile[]> {
    if (this.#noLocalTable(source)) return [];
    const listed = await this.manifestFiles(source);
    if (listed) return listed;
    try {
      return await this.scannedFiles(source);
    } catch (error) {
      // an S3 lake where this source has no table yet
      if (this.config.lake.kind === 's3' && /doesn't exist|does not exist|NoSuchKey|NOT_FOUND|FILE_DOESNT_EXIST/i.test((error as Error).message)) return [];
      throw error;
    }
  }

  /**
   * The same files from the manifests as the ClickHouse server reads them;
   * null where the server does not reach the lake or the manifests do not
   * apply (`files` then lists them here).
   */
  async serverFiles(source: SourceName, client: ClickHouseClient): Promise<LakeFile[] | null> {
    if (this.#noLocalTable(source)) return [];
    const onServer: LakeQuery = async (query, format) => (await client.query({ query, format })).text();
    try {
      return await manifestFiles(onServer, this.root, this.config.lake, source);
    } catch {
      return null; // not in its reach (another machine, no keys)
    }
  }

  /** The files as the table's manifests list them; null where that reading does not apply. */
  manifestFiles(source: SourceName): Promise<LakeFile[] | null> {
    return manifestFiles(this.query, this.root, this.config.lake, source);
  }

  /** The same files as chDB's Iceberg reader lists them. */
  async scannedFiles(source: SourceName): Promise<LakeFile[]> {
    const text = await this.query(`SELECT _path AS path, count() AS rows FROM ${lakeReadFunction(this.root, this.config.lake, source)} GROUP BY _path ORDER BY _path`, 'JSONEachRow');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { path: string; rows: string | number })
      .map((r) => ({ path: r.path, rows: Number(r.rows) }));
  }

  /** The table function a server that reaches the lake reads one of its data files with. */
  fileFunction(path: string): string {
    return lakeFileFunction(this.config.lake, path);
  }

  /** Data files' rows as one Parquet stream: the source's columns (not the lake's promoted attribute columns, which ClickHouse's tables do not have). */
  async parquet(source: SourceName, paths: readonly string[]): Promise<Uint8Array> {
    const result = await (await this.#engine()).queryAsync(selectFiles(source, paths.map((p) => this.fileFunction(p))), { format: 'Parquet' });
    return result.bytes();
  }

  close(): void {
    this.#session?.close();
    this.#session = null;
  }

  /** The session, opened at first use (chdb's native module loads then too: ~0.15 s). */
  async #engine(): Promise<Session> {
    if (!this.#session) {
      const { Session } = await import('chdb');
      this.#session ??= new Session();
    }
    return this.#session;
  }

  #noLocalTable(source: SourceName): boolean {
    return this.config.lake.kind === 'local' && !localTableExists(localLakePath(this.root, this.config.lake), source);
  }
}

/** Now, as a DateTime64(3) literal ClickHouse reads from JSON. */
export const now = (): string => new Date().toISOString().replace('T', ' ').replace('Z', '');

/** The source's columns of every file, one `SELECT` per file under `UNION ALL`. */
function selectFiles(source: SourceName, fileFunctions: readonly string[]): string {
  const columns = sources[source].columns.map((c) => quoteIdent(c.name)).join(', ');
  return fileFunctions.map((f) => `SELECT ${columns} FROM ${f}`).join(' UNION ALL ');
}

/**
 * Rows a batch of several files holds at most. Such a batch is squashed into
 * one block, and squashing copies every row (its maps' LowCardinality keys
 * re-indexed into one dictionary), at a cost per row that grows with the
 * block: small files are worth gathering, large ones go alone.
 */
export const BATCH_ROWS = 100_000;
/** Batches loading at once (see syncOnce). */
const IN_FLIGHT = 3;
/** Files a batch holds at most, to keep its query a reasonable size. */
const BATCH_FILES = 500;

/**
 * How a sync INSERT of `files` cuts its rows into blocks: several files are
 * squashed into one block whatever the server's defaults (they come from
 * several readers, in an order not guaranteed); one file is read by one
 * stream, in the file's order, and squashed as the server squashes inserts.
 */
export function blocks(files: number): ClickHouseSettings {
  return files > 1 ? { max_threads: 1, min_insert_block_size_rows: String(BATCH_ROWS + 1), min_insert_block_size_bytes: '0' } : { max_threads: 1 };
}

/** New files cut into batches: the smaller ones (up to half of BATCH_ROWS) gathered in path order, up to BATCH_ROWS rows and BATCH_FILES files; each larger one alone. */
export function batchFiles(files: readonly LakeFile[]): LakeFile[][] {
  const batches: LakeFile[][] = [];
  let current: LakeFile[] = [];
  let rows = 0;
  for (const file of files) {
    if (file.rows > BATCH_ROWS / 2) {
      batches.push([file]);
      continue;
    }
    if (current.length > 0 && (rows + file.rows > BATCH_ROWS || current.length >= BATCH_FILES)) {
      batches.push(current);
      current = [];
      rows = 0;
    }
    current.push(file);
    rows += file.rows;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** A batch's name: its source and files, so the same files in the same order always make the same deduplication token. */
export const batchId = (source: SourceName, paths: readonly string[]): string => createHash('sha256').update(JSON.stringify([source, paths])).digest('hex').slice(0, 32);

/** One Parquet stream into `table` as one INSERT. */
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
 * Lake files' rows into `table` (a source table or a copy of one), read by
 * the server itself through `fileFunctions`; one reading stream and the
 * settings of `blocks`, so a rerun cuts the rows into the same blocks a
 * deduplication token numbers.
 */
export async function insertFromLake(client: ClickHouseClient, fileFunctions: readonly string[], source: SourceName, table: string, settings: ClickHouseSettings = {}): Promise<void> {
  const columns = sources[source].columns.map((c) => quoteIdent(c.name)).join(', ');
  await client.command({
    query: `INSERT INTO ${table} (${columns}) ${selectFiles(source, fileFunctions)}`,
    clickhouse_settings: { ...settings, ...blocks(fileFunctions.length) },
  });
}

interface Batch {
  readonly source: SourceName;
  readonly id: string;
  readonly files: readonly LakeFile[];
  /** The server reads the lake itself. */
  readonly direct: boolean;
  /** Written down by a sync that did not finish it: sent again as it was. */
  readonly pending: boolean;
}

/**
 * A source's work for this pass: first the batches a killed sync wrote down
 * and did not finish (exactly as they were), then the other new files.
 * A pending batch with a file no longer in the lake's listing is let go;
 * its listed files are batched anew.
 */
async function batchesOf(reader: LakeReader, client: ClickHouseClient, source: SourceName, push: boolean): Promise<Batch[]> {
  const rowsOf = async <T>(query: string) => (await (await client.query({ query, query_params: { source }, format: 'JSONEachRow' })).json()) as T[];
  const loaded = new Set((await rowsOf<{ path: string }>('SELECT path FROM hyb_sync_files FINAL WHERE source = {source:String}')).map((r) => r.path));
  const listed = (push ? null : await reader.serverFiles(source, client)) ?? (await reader.files(source));
  const fresh = new Map(listed.filter((f) => !loaded.has(f.path)).map((f) => [f.path, f]));
  if (fresh.size === 0) return [];
  const direct = !push && (await serverReadsLake(client, reader.fileFunction(fresh.keys().next().value!), fresh.values().next().value!));
  const batches: Batch[] = [];
  for (const { batch, paths } of await rowsOf<{ batch: string; paths: string[] }>('SELECT batch, paths FROM hyb_sync_batches FINAL WHERE source = {source:String} AND done = 0 ORDER BY at')) {
    const files = paths.map((p) => fresh.get(p));
    if (files.some((f) => f === undefined)) continue;
    for (const p of paths) fresh.delete(p);
    batches.push({ source, id: batch, files: files as LakeFile[], direct, pending: true });
  }
  for (const files of batchFiles([...fresh.values()])) batches.push({ source, id: batchId(source, files.map((f) => f.path)), files, direct, pending: false });
  return batches;
}

/**
 * Batches as the sources' listings produce them, taken by the loaders, so
 * loading starts once the first source is listed rather than the last.
 */
class BatchQueue {
  readonly #items: Batch[] = [];
  readonly #waiting: ((batch: Batch | undefined) => void)[] = [];
  #closed = false;

  push(batches: readonly Batch[]): void {
    for (const batch of batches) {
      const taker = this.#waiting.shift();
      if (taker) taker(batch);
      else this.#items.push(batch);
    }
  }

  /** No more batches: waiting takers get none. */
  close(): void {
    this.#closed = true;
    for (const taker of this.#waiting.splice(0)) taker(undefined);
  }

  /** The next batch; none once the queue is closed and empty. */
  take(): Promise<Batch | undefined> {
    const batch = this.#items.shift();
    if (batch || this.#closed) return Promise.resolve(batch);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

/** One pass over every source. */
export async function syncOnce(reader: LakeReader, client: ClickHouseClient, options: SyncOptions = {}): Promise<SyncReport> {
  const { progress } = options;
  await prepare(client);
  const queue = new BatchQueue();
  /** Files to load, known once every source is listed. */
  let total: number | null = null;
  let rows = 0;
  let direct = 0;
  let done = 0;
  const errors = new Map<SourceName, string>();
  // The sources are listed one after another while the first one's batches
  // load. A source whose listing fails is recorded as failed, as a load is.
  const listing = (async () => {
    let files = 0;
    for (const source of sourceNames) {
      try {
        const batches = await batchesOf(reader, client, source, options.push ?? false);
        files += batches.reduce((n, b) => n + b.files.length, 0);
        queue.push(batches);
      } catch (error) {
        errors.set(source, (error as Error).message); // that source waits for the next sync, the others load
      }
    }
    queue.close();
    total = files;
    progress?.(done, total); // with nothing to do, this is also the last report
  })();
  const load = async ({ source, id, files, direct: byServer, pending }: Batch) => {
    if (errors.has(source)) return; // one failure stops that source; the next sync retries it
    const paths = files.map((f) => f.path);
    const record = (table: string, values: Record<string, unknown>[]) => client.insert({ table, values, format: 'JSONEachRow' });
    const settings: ClickHouseSettings = {
      insert_deduplication_token: `hyb-sync:${source}:${id}`,
      deduplicate_blocks_in_dependent_materialized_views: 1,
    };
    try {
      if (!pending) await record('hyb_sync_batches', [{ source, batch: id, paths, done: 0, at: now() }]);
      if (byServer) await insertFromLake(client, paths.map((p) => reader.fileFunction(p)), source, source, settings);
      else await insertParquet(client, source, await reader.parquet(source, paths), { ...settings, ...blocks(paths.length) });
      // Crash tests: HYB_FAILPOINT=after-sync-insert kills the process between the load and its record.
      if (process.env.HYB_FAILPOINT === 'after-sync-insert') process.kill(process.pid, 'SIGKILL');
      const at = now();
      await record('hyb_sync_files', files.map((f) => ({ source, path: f.path, rows: f.rows, loaded_at: at })));
      await record('hyb_sync_batches', [{ source, batch: id, paths, done: 1, at: now() }]);
      rows += files.reduce((n, f) => n + f.rows, 0);
      if (byServer) direct += files.length;
    } catch (error) {
      errors.set(source, (error as Error).message);
    }
  };
  // Three batches in flight: the server loads two at once (one thread each;
  // the embedded store has a connection per request) while the third's
  // records and (pushed) its read here are under way. Side by side on the
  // bench lake, three beat two in 7 runs of 7 and four did no better.
  const worker = async () => {
    for (let batch = await queue.take(); batch; batch = await queue.take()) {
      await load(batch);
      done += batch.files.length;
      if (total !== null) progress?.(done, total);
    }
  };
  await Promise.all([listing, ...Array.from({ length: IN_FLIGHT }, worker)]);
  await recordState(client, errors);
  if (errors.size > 0) throw new Error(`sync failed for ${[...errors].map(([s, m]) => `${s}: ${m}`).join('; ')}`);
  return { files: total ?? 0, rows, direct };
}

/** Per source: files and rows loaded, the newest event, the lag behind it, the last error; the sources at once. */
async function recordState(client: ClickHouseClient, errors: ReadonlyMap<SourceName, string>): Promise<void> {
  await Promise.all(sourceNames.map((source) => recordSourceState(client, source, errors.get(source) ?? '')));
}

async function recordSourceState(client: ClickHouseClient, source: SourceName, lastError: string): Promise<void> {
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
        last_error: lastError,
      },
    ],
    format: 'JSONEachRow',
  });
}
