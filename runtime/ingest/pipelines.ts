/**
 * A mapped row (the lake's shape) → the record a Cloudflare Pipelines stream
 * takes (generated/pipelines/<source>.schema.json): dotted names get
 * underscores, timestamps become RFC 3339, maps stay objects (json fields),
 * and each promoted attribute (compiler/sql/promoted.ts) gets its field, as
 * the local lake writer gives it its column. What the production OTLP Worker
 * sends with `env.<STREAM>.send()`.
 */
import { streamFieldName } from '../../compiler/codegen/pipelines.ts';
import type { PromotedAttribute } from '../../compiler/sql/promoted.ts';
import { sources, type SourceName } from '../../schemas/sources.ts';

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}\.\d{6})$/;

const rfc3339 = (value: unknown): unknown => {
  if (typeof value === 'string') {
    const match = TIMESTAMP.exec(value);
    return match ? `${match[1]}T${match[2]}Z` : value;
  }
  return Array.isArray(value) ? value.map(rfc3339) : value;
};

export function toStreamRecord(source: SourceName, row: Record<string, unknown>, promoted: readonly PromotedAttribute[] = []): Record<string, unknown> {
  const bools = boolColumns[source];
  const record = Object.fromEntries(
    Object.entries(row).map(([name, value]) => [streamFieldName(name), bools.has(name) ? value === true || value === 1 : rfc3339(value)]),
  );
  // `map['key']` as ClickHouse reads it: an empty string where the key is absent
  for (const p of promoted) record[p.column] = (row[p.map] as Record<string, string> | undefined)?.[p.key] ?? '';
  return record;
}

/** Bool columns: the lake stores them as Int32 (Iceberg has no ClickHouse Bool), streams take true/false. */
const boolColumns = Object.fromEntries(
  Object.values(sources).map((table) => [table.name, new Set(table.columns.filter((c) => c.type === 'Bool').map((c) => c.name))]),
) as Record<SourceName, Set<string>>;
