/**
 * The source tables. Column names and ClickHouse types follow the
 * OpenTelemetry Collector ClickHouse exporter (`otel_logs`, `otel_traces`,
 * `otel_metrics_*`), so other tools read the same tables.
 *
 * Each source has two physical forms, both derived from one column list:
 * the MergeTree form (ClickHouse tier) and the Iceberg form (the lake), see
 * `lakeType`.
 */
export interface SourceColumn {
  readonly name: string;
  /** The ClickHouse (MergeTree) type, as the exporter declares it. */
  readonly type: string;
}

export interface SourceTable {
  readonly name: SourceName;
  readonly columns: readonly SourceColumn[];
  /** The event time column: partitions, TTL and time ranges use it. */
  readonly timeColumn: string;
  /**
   * How rows lie in each lake data file (the lake writer sorts by it), and
   * the raw MergeTree table's sorting key. The column the dashboards filter
   * on comes first (EventName, SpanKind, MetricName), so one kind of event
   * lies together in a file and the Parquet reader's filter skips more of
   * the others' attribute maps (lake queries 10–25% faster; bench/RESULTS.md,
   * "Fallback queries"). The raw table sorts the same way, so a lake file
   * that `hyb sync` loads alone is in its order already and ClickHouse
   * writes it without sorting it again (bench/RESULTS.md, "Sync").
   */
  readonly sortOrder: readonly string[];
}

export type SourceName =
  | 'otel_logs'
  | 'otel_traces'
  | 'otel_metrics_gauge'
  | 'otel_metrics_sum'
  | 'otel_metrics_histogram';

const c = (name: string, type: string): SourceColumn => ({ name, type });
const attrs = 'Map(LowCardinality(String), String)';

const resourceAndScope = [
  c('ResourceAttributes', attrs),
  c('ResourceSchemaUrl', 'String'),
  c('ScopeName', 'String'),
  c('ScopeVersion', 'String'),
  c('ScopeAttributes', attrs),
  c('ScopeSchemaUrl', 'String'),
];

const metricCommon = [
  ...resourceAndScope,
  c('ServiceName', 'LowCardinality(String)'),
  c('MetricName', 'String'),
  c('MetricDescription', 'String'),
  c('MetricUnit', 'String'),
  c('Attributes', attrs),
  c('StartTimeUnix', 'DateTime64(9)'),
  c('TimeUnix', 'DateTime64(9)'),
  c('Flags', 'UInt32'),
];

export const sources: Readonly<Record<SourceName, SourceTable>> = {
  otel_logs: {
    name: 'otel_logs',
    timeColumn: 'Timestamp',
    sortOrder: ['EventName', 'SeverityText', 'ServiceName', 'Timestamp'],
    columns: [
      c('Timestamp', 'DateTime64(9)'),
      c('TraceId', 'String'),
      c('SpanId', 'String'),
      c('TraceFlags', 'UInt8'),
      c('SeverityText', 'LowCardinality(String)'),
      c('SeverityNumber', 'UInt8'),
      c('ServiceName', 'LowCardinality(String)'),
      c('Body', 'String'),
      c('EventName', 'String'),
      ...resourceAndScope,
      c('LogAttributes', attrs),
    ],
  },
  otel_traces: {
    name: 'otel_traces',
    timeColumn: 'Timestamp',
    sortOrder: ['SpanKind', 'ServiceName', 'SpanName', 'Timestamp'],
    columns: [
      c('Timestamp', 'DateTime64(9)'),
      c('TraceId', 'String'),
      c('SpanId', 'String'),
      c('ParentSpanId', 'String'),
      c('TraceState', 'String'),
      c('SpanName', 'LowCardinality(String)'),
      c('SpanKind', 'LowCardinality(String)'),
      c('ServiceName', 'LowCardinality(String)'),
      c('ResourceAttributes', attrs),
      c('ScopeName', 'String'),
      c('ScopeVersion', 'String'),
      c('SpanAttributes', attrs),
      c('Duration', 'UInt64'),
      c('StatusCode', 'LowCardinality(String)'),
      c('StatusMessage', 'String'),
      c('Events.Timestamp', 'Array(DateTime64(9))'),
      c('Events.Name', 'Array(LowCardinality(String))'),
      c('Events.Attributes', `Array(${attrs})`),
      c('Links.TraceId', 'Array(String)'),
      c('Links.SpanId', 'Array(String)'),
      c('Links.TraceState', 'Array(String)'),
      c('Links.Attributes', `Array(${attrs})`),
    ],
  },
  otel_metrics_gauge: {
    name: 'otel_metrics_gauge',
    timeColumn: 'TimeUnix',
    sortOrder: ['MetricName', 'ServiceName', 'TimeUnix'],
    columns: [...metricCommon, c('Value', 'Float64')],
  },
  otel_metrics_sum: {
    name: 'otel_metrics_sum',
    timeColumn: 'TimeUnix',
    sortOrder: ['MetricName', 'ServiceName', 'TimeUnix'],
    columns: [
      ...metricCommon,
      c('Value', 'Float64'),
      c('AggregationTemporality', 'Int32'),
      c('IsMonotonic', 'Bool'),
    ],
  },
  otel_metrics_histogram: {
    name: 'otel_metrics_histogram',
    timeColumn: 'TimeUnix',
    sortOrder: ['MetricName', 'ServiceName', 'TimeUnix'],
    columns: [
      ...metricCommon,
      c('Count', 'UInt64'),
      c('Sum', 'Float64'),
      c('BucketCounts', 'Array(UInt64)'),
      c('ExplicitBounds', 'Array(Float64)'),
      c('Min', 'Float64'),
      c('Max', 'Float64'),
      c('AggregationTemporality', 'Int32'),
    ],
  },
};

export const sourceNames = Object.keys(sources).sort() as SourceName[];

/**
 * The Iceberg form of a ClickHouse type. ClickHouse's Iceberg writer takes no
 * LowCardinality, Enum, Bool or small unsigned types, stores timestamps in
 * microseconds and reads unsigned types back signed; we declare the lake with
 * the types it will read back as, so what we write is what we read.
 */
export function lakeType(type: string): string {
  return type
    .replace(/LowCardinality\((\w+)\)/g, '$1')
    .replace(/DateTime64\(9\)/g, 'DateTime64(6)')
    .replace(/\bBool\b/g, 'Int32')
    .replace(/\bUInt(8|16)\b/g, 'Int32')
    .replace(/\bUInt(32|64)\b/g, 'Int64');
}

export function sourceColumn(source: SourceName, name: string): SourceColumn | undefined {
  return sources[source].columns.find((col) => col.name === name);
}
