import { sources, type SourceName } from '../../schemas/sources.ts';
import type { ValueKind } from '../ir.ts';
import { Expr } from './expr.ts';

/** The value kind of a source column, from its ClickHouse type. */
export function kindOfType(type: string): ValueKind {
  const t = type.replace(/^LowCardinality\((.*)\)$/, '$1');
  if (t === 'String') return 'string';
  if (t === 'Bool') return 'bool';
  if (t.startsWith('DateTime')) return 'datetime';
  if (t.startsWith('Float')) return 'float';
  if (t.startsWith('UInt')) return 'uint';
  if (t.startsWith('Int')) return 'int';
  throw new Error(`no value kind for ClickHouse type ${type}`);
}

export interface SourceHandle<Cols extends Record<string, ValueKind>, Maps extends string> {
  readonly source: SourceName;
  /** A top-level column of the source table. */
  col<N extends keyof Cols & string>(name: N): Expr<Cols[N]>;
  /** One key of an attribute map (a string; '' where absent). */
  attr(key: string, map?: Maps): Expr<'string'>;
  /** One key of the resource attributes. */
  resource(key: string): Expr<'string'>;
  readonly timestamp: Expr<'datetime'>;
}

function handle<Cols extends Record<string, ValueKind>, Maps extends string>(
  source: SourceName,
  defaultMap: Maps,
): SourceHandle<Cols, Maps> {
  const table = sources[source];
  const col = (name: string) => {
    const column = table.columns.find((c) => c.name === name);
    // Unknown names are caught by the checker with a location; keep building.
    const type = column ? kindOfType(column.type) : 'string';
    return new Expr({ kind: 'column', name, type });
  };
  return {
    source,
    col: col as SourceHandle<Cols, Maps>['col'],
    attr: (key, map = defaultMap) => new Expr({ kind: 'attr', map, key, type: 'string' }),
    resource: (key) => new Expr({ kind: 'attr', map: 'ResourceAttributes', key, type: 'string' }),
    timestamp: col(table.timeColumn) as Expr<'datetime'>,
  };
}

type LogColumns = {
  Timestamp: 'datetime';
  TraceId: 'string';
  SpanId: 'string';
  TraceFlags: 'uint';
  SeverityText: 'string';
  SeverityNumber: 'uint';
  ServiceName: 'string';
  Body: 'string';
  EventName: 'string';
  ScopeName: 'string';
};

type SpanColumns = {
  Timestamp: 'datetime';
  TraceId: 'string';
  SpanId: 'string';
  ParentSpanId: 'string';
  SpanName: 'string';
  SpanKind: 'string';
  ServiceName: 'string';
  Duration: 'uint';
  StatusCode: 'string';
  StatusMessage: 'string';
};

type GaugeColumns = {
  TimeUnix: 'datetime';
  ServiceName: 'string';
  MetricName: 'string';
  Value: 'float';
};

/** OpenTelemetry log records (`otel_logs`); browser events are log records too. */
export const logs = handle<LogColumns, 'LogAttributes' | 'ScopeAttributes'>('otel_logs', 'LogAttributes');
/** OpenTelemetry spans (`otel_traces`). */
export const spans = handle<SpanColumns, 'SpanAttributes'>('otel_traces', 'SpanAttributes');
/** OpenTelemetry gauge points (`otel_metrics_gauge`). */
export const gauges = handle<GaugeColumns, 'Attributes'>('otel_metrics_gauge', 'Attributes');
