/**
 * OTLP payloads → rows of the source tables (schemas/sources.ts), with the
 * OpenTelemetry Collector ClickHouse exporter's mapping. Protobuf and JSON
 * (the OTLP JSON mapping: hex ids, 64-bit integers as strings or numbers)
 * decode to the same shape and share one mapper. A record that cannot be
 * mapped is counted as rejected with the first reason, not the request.
 */
import protobuf from 'protobufjs';
import { formatTimestamp } from '../seed/generate.ts';
import { OTLP_PROTO } from './otlp-proto.ts';
import { decodeWire, encodePartialSuccess } from './wire.ts';
import type { SourceName } from '../../schemas/sources.ts';

const root = protobuf.parse(OTLP_PROTO, { keepCase: false }).root;
const type = (name: string) => root.lookupType(`opentelemetry.proto.${name}`);

export type Signal = 'logs' | 'traces' | 'metrics';

export const signals: Record<Signal, { request: protobuf.Type; response: protobuf.Type; rejectedField: string }> = {
  logs: { request: type('ExportLogsServiceRequest'), response: type('ExportLogsServiceResponse'), rejectedField: 'rejectedLogRecords' },
  traces: { request: type('ExportTraceServiceRequest'), response: type('ExportTraceServiceResponse'), rejectedField: 'rejectedSpans' },
  metrics: { request: type('ExportMetricsServiceRequest'), response: type('ExportMetricsServiceResponse'), rejectedField: 'rejectedDataPoints' },
};
export const rpcStatus = type('RpcStatus');

export class MalformedPayload extends Error {}

/** What a request became: rows per source, and what was refused. */
export interface Mapped {
  readonly rows: Partial<Record<SourceName, Record<string, unknown>[]>>;
  readonly accepted: number;
  readonly rejected: number;
  readonly errorMessage: string;
}

// ---------------------------------------------------------------- decoding

/** Protobuf body → the same shape as the JSON mapping (see wire.ts). */
export function decodeProtobuf(signal: Signal, body: Uint8Array): Obj {
  try {
    return decodeWire(signals[signal].request, body);
  } catch (error) {
    throw new MalformedPayload(`protobuf: ${(error as Error).message}`);
  }
}

/** JSON body → the same shape (field names are the proto's lowerCamelCase). */
export function decodeJson(body: Uint8Array): Obj {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (error) {
    throw new MalformedPayload(`JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new MalformedPayload('JSON: the body must be an object');
  return parsed as Obj;
}

export function encodeResponse(signal: Signal, rejected: number, errorMessage: string, json: boolean): Uint8Array | string {
  const { rejectedField } = signals[signal];
  if (json) return JSON.stringify(rejected > 0 || errorMessage ? { partialSuccess: { [rejectedField]: String(rejected), errorMessage } } : {});
  return encodePartialSuccess(rejected, errorMessage);
}

// ---------------------------------------------------------------- values

type Obj = Record<string, unknown>;
/** A repeated scalar field (numbers, or 64-bit integers as strings): absent or an array. */
function scalars(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new MalformedPayload(`${field}: expected an array`);
  return v;
}

/** A repeated message field: absent, or an array of objects; anything else makes the payload malformed. */
function list(v: unknown, field: string): Obj[] {
  const items = scalars(v, field);
  if (items.some((e) => !e || typeof e !== 'object' || Array.isArray(e))) throw new MalformedPayload(`${field}: expected an array of objects`);
  return items as Obj[];
}
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

class RecordError extends Error {}

/** A 64-bit integer from protobufjs Long, a JSON string or a number. */
function int64(v: unknown, field: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'object' && 'low' in v && 'high' in v) {
    // protobufjs Long: two 32-bit halves (cheaper than Long#toString)
    const { low, high, unsigned } = v as { low: number; high: number; unsigned: boolean };
    const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
    return unsigned ? bits : BigInt.asIntN(64, bits);
  }
  throw new RecordError(`${field}: not an integer (${JSON.stringify(v)})`);
}

function num(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (typeof v === 'object' && 'low' in v) return Number(int64(v, field));
  throw new RecordError(`${field}: not a number (${JSON.stringify(v)})`);
}

/** Ids: bytes in protobuf, hex in JSON; empty stays empty. */
function hexId(v: unknown, bytes: number, field: string): string {
  if (v === undefined || v === null || v === '') return '';
  if (Array.isArray(v) && v.length === 0) return ''; // protobufjs's default for unset bytes
  if (v instanceof Uint8Array) {
    if (v.length === 0) return '';
    if (v.length !== bytes) throw new RecordError(`${field}: ${v.length} bytes, expected ${bytes}`);
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  }
  if (typeof v === 'string' && new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(v)) return v.toLowerCase();
  throw new RecordError(`${field}: expected ${bytes * 2} hex digits`);
}

/** "YYYY-MM-DD hh:mm:ss.ffffff" (UTC, microseconds) from Unix nanoseconds. */
export function formatNanos(nanos: bigint): string {
  const micros = Number(nanos / 1000n);
  if (Number.isNaN(new Date(Math.floor(micros / 1000)).getTime())) throw new RecordError('timestamp out of range');
  return formatTimestamp(micros);
}

/** An AnyValue as the exporter stores it in a String column. */
function anyString(v: unknown): string {
  const value = obj(v);
  const kind = typeof value.value === 'string' ? value.value : Object.keys(value).find((k) => k.endsWith('Value'));
  switch (kind) {
    case 'stringValue':
      return str(value.stringValue);
    case 'boolValue':
      return value.boolValue === true || value.boolValue === 'true' ? 'true' : 'false';
    case 'intValue':
      return int64(value.intValue, 'intValue').toString();
    case 'doubleValue':
      return String(num(value.doubleValue, 'doubleValue'));
    case 'bytesValue':
      return value.bytesValue instanceof Uint8Array ? Buffer.from(value.bytesValue).toString('base64') : str(value.bytesValue);
    case 'arrayValue':
      return JSON.stringify(list(obj(value.arrayValue).values, 'arrayValue.values').map(anyJson));
    case 'kvlistValue':
      return JSON.stringify(Object.fromEntries(list(obj(value.kvlistValue).values, 'kvlistValue.values').map((kv) => [str(kv.key), anyJson(kv.value)])));
    default:
      return '';
  }
}

function anyJson(v: unknown): unknown {
  const value = obj(v);
  const kind = typeof value.value === 'string' ? value.value : Object.keys(value).find((k) => k.endsWith('Value'));
  if (kind === 'arrayValue') return list(obj(value.arrayValue).values, 'arrayValue.values').map(anyJson);
  if (kind === 'kvlistValue') return Object.fromEntries(list(obj(value.kvlistValue).values, 'kvlistValue.values').map((kv) => [str(kv.key), anyJson(kv.value)]));
  if (kind === 'intValue' || kind === 'doubleValue') return num(value[kind], kind);
  if (kind === 'boolValue') return value.boolValue === true;
  return anyString(value);
}

function attributes(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list(v, 'attributes')) out[str(kv.key)] = anyString(kv.value);
  return out;
}

const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS_CODES = ['Unset', 'Ok', 'Error'];

/** The resource and scope part every row carries. */
function context(resource: Obj, resourceSchemaUrl: unknown, scope: Obj, scopeSchemaUrl: unknown) {
  const resourceAttributes = attributes(resource.attributes);
  return {
    ServiceName: resourceAttributes['service.name'] ?? '',
    ResourceAttributes: resourceAttributes,
    ResourceSchemaUrl: str(resourceSchemaUrl),
    ScopeName: str(scope.name),
    ScopeVersion: str(scope.version),
    ScopeAttributes: attributes(scope.attributes),
    ScopeSchemaUrl: str(scopeSchemaUrl),
  };
}

// ---------------------------------------------------------------- mapping

/** Calls `each` per record, counting the ones it throws a RecordError for. */
function collect<T>(records: T[], each: (record: T) => void, tally: { accepted: number; rejected: number; errorMessage: string }) {
  for (const record of records) {
    try {
      each(record);
      tally.accepted += 1;
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      tally.rejected += 1;
      tally.errorMessage ||= error.message;
    }
  }
}

const topField: Record<Signal, string> = { logs: 'resourceLogs', traces: 'resourceSpans', metrics: 'resourceMetrics' };

export function mapRequest(signal: Signal, request: Obj): Mapped {
  const top = request[topField[signal]];
  if (top !== undefined && !Array.isArray(top)) throw new MalformedPayload(`${topField[signal]}: expected an array`);
  const tally = { accepted: 0, rejected: 0, errorMessage: '' };
  const rows: Partial<Record<SourceName, Record<string, unknown>[]>> = {};
  const push = (source: SourceName, row: Record<string, unknown>) => (rows[source] ??= []).push(row);

  if (signal === 'logs') {
    for (const rl of list(request.resourceLogs, 'resourceLogs')) {
      for (const sl of list(rl.scopeLogs, 'scopeLogs')) {
        const ctx = context(obj(rl.resource), rl.schemaUrl, obj(sl.scope), sl.schemaUrl);
        collect(list(sl.logRecords, 'logRecords'), (r) => {
          let nanos = int64(r.timeUnixNano, 'timeUnixNano');
          if (nanos === 0n) nanos = int64(r.observedTimeUnixNano, 'observedTimeUnixNano');
          if (nanos === 0n) throw new RecordError('log record: timeUnixNano and observedTimeUnixNano are both 0');
          push('otel_logs', {
            Timestamp: formatNanos(nanos),
            TraceId: hexId(r.traceId, 16, 'traceId'),
            SpanId: hexId(r.spanId, 8, 'spanId'),
            TraceFlags: num(r.flags, 'flags') & 0xff,
            SeverityText: str(r.severityText),
            SeverityNumber: num(r.severityNumber, 'severityNumber'),
            ServiceName: ctx.ServiceName,
            Body: anyString(r.body),
            EventName: str(r.eventName),
            ResourceAttributes: ctx.ResourceAttributes,
            ResourceSchemaUrl: ctx.ResourceSchemaUrl,
            ScopeName: ctx.ScopeName,
            ScopeVersion: ctx.ScopeVersion,
            ScopeAttributes: ctx.ScopeAttributes,
            ScopeSchemaUrl: ctx.ScopeSchemaUrl,
            LogAttributes: attributes(r.attributes),
          });
        }, tally);
      }
    }
  } else if (signal === 'traces') {
    for (const rs of list(request.resourceSpans, 'resourceSpans')) {
      for (const ss of list(rs.scopeSpans, 'scopeSpans')) {
        const ctx = context(obj(rs.resource), rs.schemaUrl, obj(ss.scope), ss.schemaUrl);
        collect(list(ss.spans, 'spans'), (s) => {
          const start = int64(s.startTimeUnixNano, 'startTimeUnixNano');
          const end = int64(s.endTimeUnixNano, 'endTimeUnixNano');
          if (start === 0n) throw new RecordError('span: startTimeUnixNano is 0');
          if (end < start) throw new RecordError('span: endTimeUnixNano is before startTimeUnixNano');
          const status = obj(s.status);
          const events = list(s.events, 'events');
          const links = list(s.links, 'links');
          push('otel_traces', {
            Timestamp: formatNanos(start),
            TraceId: hexId(s.traceId, 16, 'traceId'),
            SpanId: hexId(s.spanId, 8, 'spanId'),
            ParentSpanId: hexId(s.parentSpanId, 8, 'parentSpanId'),
            TraceState: str(s.traceState),
            SpanName: str(s.name),
            SpanKind: SPAN_KINDS[num(s.kind, 'kind')] ?? 'Unspecified',
            ServiceName: ctx.ServiceName,
            ResourceAttributes: ctx.ResourceAttributes,
            ScopeName: ctx.ScopeName,
            ScopeVersion: ctx.ScopeVersion,
            SpanAttributes: attributes(s.attributes),
            Duration: Number(end - start),
            StatusCode: STATUS_CODES[num(status.code, 'status.code')] ?? 'Unset',
            StatusMessage: str(status.message),
            'Events.Timestamp': events.map((e) => formatNanos(int64(e.timeUnixNano, 'events.timeUnixNano'))),
            'Events.Name': events.map((e) => str(e.name)),
            'Events.Attributes': events.map((e) => attributes(e.attributes)),
            'Links.TraceId': links.map((l) => hexId(l.traceId, 16, 'links.traceId')),
            'Links.SpanId': links.map((l) => hexId(l.spanId, 8, 'links.spanId')),
            'Links.TraceState': links.map((l) => str(l.traceState)),
            'Links.Attributes': links.map((l) => attributes(l.attributes)),
          });
        }, tally);
      }
    }
  } else {
    for (const rm of list(request.resourceMetrics, 'resourceMetrics')) {
      for (const sm of list(rm.scopeMetrics, 'scopeMetrics')) {
        const ctx = context(obj(rm.resource), rm.schemaUrl, obj(sm.scope), sm.schemaUrl);
        for (const m of list(sm.metrics, 'metrics')) {
          const kind = typeof m.data === 'string' ? m.data : ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'].find((k) => k in m);
          const data = obj(kind ? m[kind] : undefined);
          const base = (p: Obj) => {
            const time = int64(p.timeUnixNano, 'timeUnixNano');
            if (time === 0n) throw new RecordError(`metric ${str(m.name)}: timeUnixNano is 0`);
            return {
              ...ctx,
              MetricName: str(m.name),
              MetricDescription: str(m.description),
              MetricUnit: str(m.unit),
              Attributes: attributes(p.attributes),
              StartTimeUnix: formatNanos(int64(p.startTimeUnixNano, 'startTimeUnixNano')),
              TimeUnix: formatNanos(time),
              Flags: num(p.flags, 'flags'),
            };
          };
          const value = (p: Obj) => {
            const which = typeof p.value === 'string' ? p.value : 'asDouble' in p ? 'asDouble' : 'asInt' in p ? 'asInt' : undefined;
            return which === 'asInt' ? Number(int64(p.asInt, 'asInt')) : num(p.asDouble, 'asDouble');
          };
          const points = list(data.dataPoints, 'dataPoints');
          if (kind === 'gauge') collect(points, (p) => push('otel_metrics_gauge', { ...base(p), Value: value(p) }), tally);
          else if (kind === 'sum') {
            const temporality = num(data.aggregationTemporality, 'aggregationTemporality');
            const monotonic = data.isMonotonic === true ? 1 : 0;
            collect(points, (p) => push('otel_metrics_sum', { ...base(p), Value: value(p), AggregationTemporality: temporality, IsMonotonic: monotonic }), tally);
          } else if (kind === 'histogram') {
            const temporality = num(data.aggregationTemporality, 'aggregationTemporality');
            collect(points, (p) => {
              push('otel_metrics_histogram', {
                ...base(p),
                Count: num(p.count, 'count'),
                Sum: num(p.sum, 'sum'),
                BucketCounts: scalars(p.bucketCounts, 'bucketCounts').map((c) => num(c, 'bucketCounts')),
                ExplicitBounds: scalars(p.explicitBounds, 'explicitBounds').map((b) => num(b, 'explicitBounds')),
                Min: num(p.min, 'min'),
                Max: num(p.max, 'max'),
                AggregationTemporality: temporality,
              });
            }, tally);
          } else {
            tally.rejected += Math.max(points.length, 1);
            tally.errorMessage ||= `metric ${str(m.name)}: ${kind ?? 'no data'} is not stored (gauge, sum and histogram are)`;
          }
        }
      }
    }
  }
  return { rows, ...tally };
}
