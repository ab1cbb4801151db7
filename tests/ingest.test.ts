/**
 * `hyb serve ingest` fed by the real OpenTelemetry JS SDK and exporters
 * (protobuf and JSON): the records land in the Iceberg lake and the chDB
 * service finds them with the right values. Bad payloads get the spec's
 * statuses and the server keeps serving.
 */
import { gzipSync } from 'node:zlib';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcStatus, signals } from '../runtime/ingest/otlp.ts';
import { tempDir } from './support/lake.ts';
import { eventually, postJson, projectWithLake, startService, type RunningService } from './support/services.ts';

let ingest: RunningService;
let chdb: RunningService;

beforeAll(async () => {
  const lake = tempDir('lake');
  const project = projectWithLake(lake, { ingest: { flushSeconds: 0.3, maxBodyBytes: 200_000 } });
  ingest = await startService(['ingest'], project);
  chdb = await startService(['chdb'], project);
}, 60_000);

afterAll(async () => {
  await ingest?.stop();
  await chdb?.stop();
});

async function rows(sql: string): Promise<Record<string, any>[]> {
  const answer = await postJson(`${chdb.url}/query`, { sql });
  return answer.status === 200 ? answer.body.data : [];
}
const until = (sql: string, n: number) => eventually(() => rows(sql), (r) => r.length >= n);

describe.each([
  ['protobuf', ProtoLogExporter, ProtoTraceExporter],
  ['JSON', JsonLogExporter, JsonTraceExporter],
] as const)('the OTel SDK over OTLP/HTTP %s', (encoding, LogExporter, TraceExporter) => {
  const service = `app-${encoding}`;
  const resource = resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'test' });

  it('delivers log records with their fields and attributes', async () => {
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new LogExporter({ url: `${ingest.url}/v1/logs` }) })] });
    const logger = provider.getLogger('checkout', '1.2.3');
    const at = Date.UTC(2026, 2, 3, 10, 20, 30, 456);
    for (let i = 0; i < 5; i++) {
      logger.emit({
        timestamp: at + i,
        severityNumber: SeverityNumber.ERROR,
        severityText: 'ERROR',
        body: `failure ${i}`,
        eventName: 'browser.page_view',
        attributes: { 'user.id': `u${i}`, 'http.status': 500 + i, retry: i % 2 === 0, ratio: 0.25 },
      });
    }
    await provider.forceFlush();
    await provider.shutdown();
    const found = await until(`SELECT * FROM lake.otel_logs WHERE ServiceName = '${service}' ORDER BY Body`, 5);
    expect(found).toHaveLength(5);
    const first = found[0]!;
    expect(first).toMatchObject({
      Timestamp: '2026-03-03 10:20:30.456000',
      SeverityText: 'ERROR',
      SeverityNumber: 17,
      Body: 'failure 0',
      EventName: 'browser.page_view',
      ScopeName: 'checkout',
      ScopeVersion: '1.2.3',
    });
    expect(first.ResourceAttributes).toMatchObject({ 'service.name': service, 'deployment.environment': 'test' });
    expect(first.LogAttributes).toEqual({ 'user.id': 'u0', 'http.status': '500', retry: 'true', ratio: '0.25' });
  });

  it('delivers spans with kind, duration, status, events and parent', async () => {
    const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: new TraceExporter({ url: `${ingest.url}/v1/traces` }) })] });
    const tracer = provider.getTracer('api');
    const start = Date.UTC(2026, 2, 3, 11, 0, 0, 0);
    const parent = tracer.startSpan('GET /api/orders', { kind: SpanKind.SERVER, startTime: start, attributes: { 'http.route': '/api/orders', 'http.response.status_code': 503 } });
    parent.addEvent('retrying', { attempt: 2 }, start + 5);
    parent.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream down' });
    const child = tracer.startSpan('db.query', { kind: SpanKind.CLIENT, startTime: start + 1 }, trace.setSpan(context.active(), parent));
    child.end(start + 3);
    parent.end(start + 42);
    await provider.forceFlush();
    await provider.shutdown();
    const found = await until(`SELECT * FROM lake.otel_traces WHERE ServiceName = '${service}' ORDER BY Timestamp`, 2);
    expect(found).toHaveLength(2);
    const [server, client] = found;
    expect(server).toMatchObject({ SpanName: 'GET /api/orders', SpanKind: 'Server', Duration: 42_000_000, StatusCode: 'Error', StatusMessage: 'upstream down', ParentSpanId: '', ScopeName: 'api' });
    expect(server!.SpanAttributes).toEqual({ 'http.route': '/api/orders', 'http.response.status_code': '503' });
    expect(server!['Events.Name']).toEqual(['retrying']);
    expect(server!['Events.Timestamp']).toEqual(['2026-03-03 11:00:00.005000']);
    expect(server!.TraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(client).toMatchObject({ SpanKind: 'Client', Duration: 2_000_000, ParentSpanId: server!.SpanId, TraceId: server!.TraceId });
  });
});

describe('metrics', () => {
  it('delivers sum, gauge and histogram points from the SDK', async () => {
    const exporter = new OTLPMetricExporter({ url: `${ingest.url}/v1/metrics` });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'metrics-app' }), readers: [reader] });
    const meter = provider.getMeter('runtime');
    meter.createCounter('requests', { unit: '1' }).add(7, { route: '/a' });
    meter.createGauge('queue.depth').record(12.5, { queue: 'q1' });
    const histogram = meter.createHistogram('latency', { unit: 'ms' });
    for (const v of [3, 8, 120]) histogram.record(v, { route: '/a' });
    await provider.forceFlush();
    await provider.shutdown();
    const sums = await until("SELECT * FROM lake.otel_metrics_sum WHERE ServiceName = 'metrics-app'", 1);
    expect(sums[0]).toMatchObject({ MetricName: 'requests', Value: 7, IsMonotonic: 1, AggregationTemporality: 2, MetricUnit: '1' });
    expect(sums[0]!.Attributes).toEqual({ route: '/a' });
    const gauges = await until("SELECT * FROM lake.otel_metrics_gauge WHERE ServiceName = 'metrics-app'", 1);
    expect(gauges[0]).toMatchObject({ MetricName: 'queue.depth', Value: 12.5 });
    const histograms = await until("SELECT * FROM lake.otel_metrics_histogram WHERE ServiceName = 'metrics-app'", 1);
    expect(histograms[0]).toMatchObject({ MetricName: 'latency', Count: 3, Sum: 131, Min: 3, Max: 120 });
    expect((histograms[0]!.BucketCounts as number[]).reduce((a, b) => a + b, 0)).toBe(3);
  });
});

describe('bad input', () => {
  const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) =>
    fetch(`${ingest.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : Buffer.from(body), headers });
  const logsJson = (records: unknown[]) => JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bad-input' } }] }, scopeLogs: [{ logRecords: records }] }] });

  it('answers malformed, truncated, oversize and unknown payloads with the spec status and keeps serving', async () => {
    const json = { 'content-type': 'application/json' };
    const proto = { 'content-type': 'application/x-protobuf' };
    expect((await post('/v1/logs', '{"resourceLogs": [', json)).status).toBe(400);
    expect((await post('/v1/logs', '{"resourceLogs": 5}', json)).status).toBe(400);
    // a truncated protobuf message: a length prefix promising more than follows
    const valid = signals.logs.request.encode(signals.logs.request.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 1, body: { stringValue: 'x'.repeat(50) } }] }] }] })).finish();
    const truncated = await post('/v1/logs', valid.subarray(0, valid.length - 10), proto);
    expect(truncated.status).toBe(400);
    expect(truncated.headers.get('content-type')).toBe('application/x-protobuf');
    const status = rpcStatus.decode(new Uint8Array(await truncated.arrayBuffer())) as unknown as { code: number; message: string };
    expect(status.code).toBe(3); // INVALID_ARGUMENT
    expect(status.message).toMatch(/^protobuf: /);
    expect((await post('/v1/logs', Buffer.from([0xff, 0xff, 0xff]), proto)).status).toBe(400);
    expect((await post('/v1/logs', 'x'.repeat(300_000), json)).status).toBe(413);
    // small on the wire, too big once gunzipped
    expect((await post('/v1/logs', gzipSync(Buffer.alloc(300_000, 32)), { ...json, 'content-encoding': 'gzip' })).status).toBe(413);
    expect((await post('/v1/logs', 'not gzip', { ...json, 'content-encoding': 'gzip' })).status).toBe(400);
    expect((await post('/v1/logs', '{}', { 'content-type': 'text/plain' })).status).toBe(415);

    // still serving: a good gzipped request after all that
    const good = await post('/v1/logs', gzipSync(logsJson([{ timeUnixNano: '1772532000000000000', body: { stringValue: 'after' } }])), { ...json, 'content-encoding': 'gzip' });
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({});
    expect(await until("SELECT Body FROM lake.otel_logs WHERE ServiceName = 'bad-input'", 1)).toEqual([{ Body: 'after' }]);
  });

  it('accepts the good records of a request and reports the rest as partial success', async () => {
    const answer = await post(
      '/v1/logs',
      logsJson([
        { timeUnixNano: '1772532000000000001', body: { stringValue: 'kept' } },
        { timeUnixNano: 'yesterday', body: { stringValue: 'refused' } },
        { timeUnixNano: '1772532000000000002', traceId: 'xyz', body: { stringValue: 'refused too' } },
      ]),
      { 'content-type': 'application/json' },
    );
    expect(answer.status).toBe(200);
    const body = await answer.json();
    expect(body.partialSuccess.rejectedLogRecords).toBe('2');
    expect(body.partialSuccess.errorMessage).toMatch(/timeUnixNano/);
    const kept = await until("SELECT Body FROM lake.otel_logs WHERE ServiceName = 'bad-input' AND Body != 'after'", 1);
    expect(kept).toEqual([{ Body: 'kept' }]);
  });
});

describe('back-pressure and roll-over', () => {
  const logsBody = (n: number, service: string) =>
    JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeLogs: [{ logRecords: Array.from({ length: n }, (_, i) => ({ timeUnixNano: String(1772532000000000000n + BigInt(i)), body: { stringValue: `r${i}` } })) }],
        },
      ],
    });

  it('answers 503 with Retry-After while the writer is behind, and 429 when too many requests are in progress', async () => {
    // a buffer limit one request fills, and no time-based flush within the test
    const project = projectWithLake(tempDir('lake'), { ingest: { maxBufferBytes: 300, flushSeconds: 3600, maxConcurrentRequests: 1 } });
    const service = await startService(['ingest'], project);
    try {
      const post = (body: BodyInit, init: RequestInit = {}) => fetch(`${service.url}/v1/logs`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, ...init });
      expect((await post(logsBody(20, 'bp'))).status).toBe(200);
      const refused = await post(logsBody(1, 'bp'));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);

      // 429: one request holds the only slot while its body is still arriving
      const fresh = projectWithLake(tempDir('lake'), { ingest: { maxConcurrentRequests: 1 } });
      const second = await startService(['ingest'], fresh);
      try {
        let release!: () => void;
        const held = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(logsBody(1, 'held').slice(0, 10)));
            release = () => {
              controller.enqueue(new TextEncoder().encode(logsBody(1, 'held').slice(10)));
              controller.close();
            };
          },
        });
        const slow = fetch(`${second.url}/v1/logs`, { method: 'POST', body: held, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
        await new Promise((r) => setTimeout(r, 300));
        const busy = await fetch(`${second.url}/v1/logs`, { method: 'POST', body: logsBody(1, 'busy'), headers: { 'content-type': 'application/json' } });
        expect(busy.status).toBe(429);
        expect(busy.headers.get('retry-after')).toMatch(/^\d+$/);
        release();
        expect((await slow).status).toBe(200);
      } finally {
        await second.stop();
      }
    } finally {
      await service.stop();
    }
  }, 60_000);

  it('commits a buffer once it holds flushRows rows, without waiting for flushSeconds', async () => {
    const lake = tempDir('lake');
    const project = projectWithLake(lake, { ingest: { flushRows: 100, flushSeconds: 3600 } });
    const service = await startService(['ingest'], project);
    const reader = await startService(['chdb'], project);
    try {
      const post = (n: number) => fetch(`${service.url}/v1/logs`, { method: 'POST', body: logsBody(n, 'rollover'), headers: { 'content-type': 'application/json' } });
      expect((await post(60)).status).toBe(200);
      expect((await post(60)).status).toBe(200); // 120 ≥ 100: due
      const count = async () => (await postJson(`${reader.url}/query`, { sql: "SELECT count() AS n FROM lake.otel_logs WHERE ServiceName = 'rollover'" })).body?.data?.[0]?.n ?? 0;
      expect(await eventually(count, (n) => n === 120)).toBe(120);
      expect((await post(30)).status).toBe(200); // 30 < 100 and an hour to go: stays buffered
      await new Promise((r) => setTimeout(r, 1500));
      expect(await count()).toBe(120);
    } finally {
      await service.stop();
      await reader.stop();
    }
  }, 60_000);
});
