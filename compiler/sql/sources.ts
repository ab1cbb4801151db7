import { lakeType, sources, type SourceName } from '../../schemas/sources.ts';
import { quoteIdent, quoteString } from './expr.ts';
import type { PromotedAttribute } from './promoted.ts';

const columnList = (source: SourceName, typeOf: (t: string) => string) =>
  sources[source].columns.map((c) => `${quoteIdent(c.name)} ${typeOf(c.type)}`).join(', ');

/**
 * Insert deduplication for non-replicated tables too (replicated ones have
 * it by default): `hyb sync` inserts each lake file with a token, so a sync
 * killed between its insert and its bookkeeping cannot load a file twice.
 */
export const DEDUPLICATION = 'non_replicated_deduplication_window = 10000';

/**
 * Parts up to this size (uncompressed) are written in ClickHouse's compact
 * format, one file per part, instead of a file per column and map subcolumn.
 * `hyb sync` writes one part per lake file (tens of MiB); written wide,
 * those cost ~1.6× as much as compact (bench/RESULTS.md, Sync). Merged
 * parts beyond it become wide as usual. ClickHouse's default is 10 MiB.
 */
export const COMPACT_PARTS = 'min_bytes_for_wide_part = 268435456';

/** The raw MergeTree table of a source, with its TTL. */
export function rawTableDDL(source: SourceName, options: { ttlDays: number; cluster?: string }): string {
  const table = sources[source];
  const time = quoteIdent(table.timeColumn);
  const onCluster = options.cluster ? ` ON CLUSTER ${quoteIdent(options.cluster)}` : '';
  const engine = options.cluster ? 'ReplicatedMergeTree' : 'MergeTree';
  return (
    `CREATE TABLE IF NOT EXISTS ${source}${onCluster} (${columnList(source, (t) => t)}) ` +
    `ENGINE = ${engine} PARTITION BY toDate(${time}) ORDER BY (${table.sortOrder.map(quoteIdent).join(', ')}) ` +
    `TTL toDateTime(${time}) + INTERVAL ${options.ttlDays} DAY SETTINGS ttl_only_drop_parts = 1, ${COMPACT_PARTS}, ${DEDUPLICATION}`
  );
}

/**
 * The Iceberg table of a source, day-partitioned, with a Nullable(String)
 * column per promoted attribute (promoted.ts). `engine` places it, e.g.
 * `IcebergLocal('otel_logs')` or `IcebergS3('https://…/otel_logs/', key, secret)`.
 *
 * No ORDER BY here, although the writer sorts every file (sortOrder):
 * chDB 26.7 records a table's sort order under order-id 0, which the
 * Iceberg spec reserves for "unsorted" and which the Java and Go readers
 * refuse as invalid metadata. The writer's INSERT sorts instead.
 */
export function lakeTableDDL(source: SourceName, engine: string, promoted: readonly PromotedAttribute[] = []): string {
  const columns = [columnList(source, lakeType), ...promoted.map(promotedColumnDDL)].join(', ');
  return `CREATE TABLE IF NOT EXISTS ${source} (${columns}) ENGINE = ${engine} PARTITION BY toRelativeDayNum(${quoteIdent(sources[source].timeColumn)})`;
}

/** A promoted attribute's lake column: Nullable, so it can be added to a table that has files already. */
export const promotedColumnDDL = (p: PromotedAttribute): string => `${quoteIdent(p.column)} Nullable(String)`;

/** `map['key']`: the value a promoted column holds. */
export const attributeValue = (p: PromotedAttribute): string => `${quoteIdent(p.map)}[${quoteString(p.key)}]`;

/** `ORDER BY …` of the source's sort order, for the lake writer's INSERT … SELECT. */
export const lakeSortClause = (source: SourceName): string => `ORDER BY ${sources[source].sortOrder.map(quoteIdent).join(', ')}`;

/** What a lake view needs to know of its table: the columns it has, and which data files lack some of them. */
export interface LakeTableState {
  /** Columns of the table's current schema. */
  readonly columns: ReadonlySet<string>;
  /** Data files (`_path`) written before one of the promoted columns existed: they read it as NULL. */
  readonly olderFiles: readonly string[];
}

/**
 * The view the fallback queries read a source through. A view over the table
 * function reads the newest snapshot on every query.
 *
 * Each promoted attribute is a plain String column of the view, read from
 * its column where the table's files hold it and computed from the map
 * where they do not: for attributes the table has no column for yet, and in
 * the files written before the column was added (`olderFiles`). Only a lake
 * with such files pays for a second read of the table (a UNION ALL split by
 * `_path`, ~60 ms of Iceberg metadata a query); splitting by the columns'
 * NULLs instead would read every promoted column of every row.
 */
export function lakeViewDDL(source: SourceName, database: string, tableFunction: string, promoted: readonly PromotedAttribute[] = [], table: LakeTableState = { columns: new Set(), olderFiles: [] }): string {
  const view = `CREATE OR REPLACE VIEW ${quoteIdent(database)}.${source} AS `;
  // Columns by name, not `*`: the view must not change when the writer adds a column to the table.
  const base = sources[source].columns.map((c) => quoteIdent(c.name));
  const fromMap = (p: PromotedAttribute) => `${attributeValue(p)} AS ${quoteIdent(p.column)}`;
  // Files written since a column exists hold it, never NULL.
  const fromColumn = (p: PromotedAttribute) => (table.columns.has(p.column) ? `assumeNotNull(${quoteIdent(p.column)}) AS ${quoteIdent(p.column)}` : fromMap(p));
  const select = (value: (p: PromotedAttribute) => string, where: string | null) =>
    `SELECT ${[...base, ...promoted.map(value)].join(', ')} FROM ${tableFunction}${where ? ` WHERE ${where}` : ''}`;
  const split = promoted.some((p) => table.columns.has(p.column)) && table.olderFiles.length > 0;
  if (!split) return view + select(fromColumn, null);
  const older = `_path IN (${table.olderFiles.map(quoteString).join(', ')})`;
  return `${view}${select(fromColumn, `NOT ${older}`)} UNION ALL ${select(fromMap, older)}`;
}

export const lakeColumns = (source: SourceName): string => columnList(source, lakeType);
