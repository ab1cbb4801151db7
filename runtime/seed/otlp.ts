/**
 * Seed rows (the exporter-table shape) back into OTLP requests, as the app's
 * OpenTelemetry SDK would have sent them; encoded as OTLP protobuf.
 */
import { signals } from '../ingest/otlp.ts';

type Row = Record<string, unknown>;

const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS_CODES = ['Unset', 'Ok', 'Error'];

/** "YYYY-MM-DD hh:mm:ss.ffffff" (UTC) → Unix nanoseconds, as a decimal string. */
export function nanos(timestamp: string): string {
  const ms = Date.parse(`${timestamp.slice(0, 19).replace(' ', 'T')}Z`);
  return (BigInt(ms) * 1_000_000n + BigInt(timestamp.slice(20, 26).padEnd(6, '0')) * 1000n).toString();
}

const kv = (attributes: unknown) => Object.entries((attributes ?? {}) as Record<string, string>).map(([key, value]) => ({ key, value: { stringValue: value } }));
const id = (hex: unknown) => (typeof hex === 'string' && hex ? Buffer.from(hex, 'hex') : undefined);

/** Groups rows by their resource (service.name), one ResourceX entry each. */
function byResource(rows: readonly Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const service = String(row.ServiceName ?? '');
    let group = groups.get(service);
    if (!group) groups.set(service, (group = []));
    group.push(row);
  }
  return groups;
}

export function logsRequest(rows: readonly Row[]): Uint8Array {
  const resourceLogs = [...byResource(rows)].map(([, group]) => ({
    resource: { attributes: kv(group[0]!.ResourceAttributes) },
    scopeLogs: [
      {
        scope: { name: String(group[0]!.ScopeName ?? '') },
        logRecords: group.map((r) => ({
          timeUnixNano: nanos(String(r.Timestamp)),
          observedTimeUnixNano: nanos(String(r.Timestamp)),
          severityNumber: Number(r.SeverityNumber ?? 0),
          severityText: String(r.SeverityText ?? ''),
          body: { stringValue: String(r.Body ?? '') },
          eventName: String(r.EventName ?? ''),
          attributes: kv(r.LogAttributes),
          traceId: id(r.TraceId),
          spanId: id(r.SpanId),
        })),
      },
    ],
  }));
  const type = signals.logs.request;
  return type.encode(type.fromObject({ resourceLogs })).finish();
}

export function tracesRequest(rows: readonly Row[]): Uint8Array {
  const resourceSpans = [...byResource(rows)].map(([, group]) => ({
    resource: { attributes: kv(group[0]!.ResourceAttributes) },
    scopeSpans: [
      {
        scope: { name: String(group[0]!.ScopeName ?? '') },
        spans: group.map((r) => {
          const start = nanos(String(r.Timestamp));
          return {
            traceId: id(r.TraceId),
            spanId: id(r.SpanId),
            parentSpanId: id(r.ParentSpanId),
            name: String(r.SpanName ?? ''),
            kind: Math.max(0, SPAN_KINDS.indexOf(String(r.SpanKind))),
            startTimeUnixNano: start,
            endTimeUnixNano: (BigInt(start) + BigInt(Number(r.Duration ?? 0))).toString(),
            attributes: kv(r.SpanAttributes),
            status: { code: Math.max(0, STATUS_CODES.indexOf(String(r.StatusCode ?? 'Unset'))), message: String(r.StatusMessage ?? '') },
          };
        }),
      },
    ],
  }));
  const type = signals.traces.request;
  return type.encode(type.fromObject({ resourceSpans })).finish();
}
