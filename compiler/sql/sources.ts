import { lakeType, sources, type SourceName } from '../../schemas/sources.ts';
import { quoteIdent } from './expr.ts';

const columnList = (source: SourceName, typeOf: (t: string) => string) =>
  sources[source].columns.map((c) => `${quoteIdent(c.name)} ${typeOf(c.type)}`).join(', ');

/**
 * Insert deduplication for non-replicated tables too (replicated ones have
 * it by default): `hyb sync` inserts each lake file with a token, so a sync
 * killed between its insert and its bookkeeping cannot load a file twice.
 */
export const DEDUPLICATION = 'non_replicated_deduplication_window = 10000';

/** The raw MergeTree table of a source, with its TTL. */
export function rawTableDDL(source: SourceName, options: { ttlDays: number; cluster?: string }): string {
  const table = sources[source];
  const time = quoteIdent(table.timeColumn);
  const onCluster = options.cluster ? ` ON CLUSTER ${quoteIdent(options.cluster)}` : '';
  const engine = options.cluster ? 'ReplicatedMergeTree' : 'MergeTree';
  return (
    `CREATE TABLE IF NOT EXISTS ${source}${onCluster} (${columnList(source, (t) => t)}) ` +
    `ENGINE = ${engine} PARTITION BY toDate(${time}) ORDER BY (${table.orderBy.map(quoteIdent).join(', ')}) ` +
    `TTL toDateTime(${time}) + INTERVAL ${options.ttlDays} DAY SETTINGS ttl_only_drop_parts = 1, ${DEDUPLICATION}`
  );
}

/**
 * The Iceberg table of a source, day-partitioned. `engine` places it, e.g.
 * `IcebergLocal('otel_logs')` or `IcebergS3('https://…/otel_logs/', key, secret)`.
 *
 * No ORDER BY here, although the writer sorts every file (lakeSortOrder):
 * chDB 26.7 records a table's sort order under order-id 0, which the
 * Iceberg spec reserves for "unsorted" and which the Java and Go readers
 * refuse as invalid metadata. The writer's INSERT sorts instead.
 */
export function lakeTableDDL(source: SourceName, engine: string): string {
  return `CREATE TABLE IF NOT EXISTS ${source} (${columnList(source, lakeType)}) ENGINE = ${engine} PARTITION BY toRelativeDayNum(${quoteIdent(sources[source].timeColumn)})`;
}

/** `ORDER BY …` of the source's lake sort order, for the writer's INSERT … SELECT. */
export const lakeSortClause = (source: SourceName): string => `ORDER BY ${sources[source].lakeSortOrder.map(quoteIdent).join(', ')}`;

/**
 * The view the fallback queries read a source through. A view over the table
 * function reads the newest snapshot on every query; the explicit structure
 * spares chDB inferring a schema per query.
 */
export function lakeViewDDL(source: SourceName, database: string, tableFunction: string): string {
  return `CREATE OR REPLACE VIEW ${quoteIdent(database)}.${source} AS SELECT * FROM ${tableFunction}`;
}

export const lakeColumns = (source: SourceName): string => columnList(source, lakeType);
