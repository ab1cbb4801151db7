/**
 * The production ingest Worker under `wrangler dev` (workerd): the OTel SDK's
 * protobuf exporter posts to it, and it forwards stream records (RFC 3339
 * timestamps, underscore names) to the stream bindings. wrangler dev does
 * not simulate Pipelines, so the bindings are service bindings to a recorder
 * Worker with the same `send()`, which posts what it gets to this test.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceNames } from '../schemas/sources.ts';
import { tempDir } from './support/lake.ts';
import { projectRoot } from './support/project.ts';
import { eventually } from './support/services.ts';
import { wranglerDev, type WranglerDev } from '../runtime/dev/wrangler.ts';

const received: { stream: string; records: Record<string, unknown>[] }[] = [];
let sink: Server;
let wrangler: WranglerDev;
let url: string;

const pascal = (source: string) => source.replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase());

beforeAll(async () => {
  sink = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(JSON.parse(body) as (typeof received)[number]);
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const dir = tempDir('worker');
  const compatibility = { compatibility_date: '2026-03-01', compatibility_flags: ['nodejs_compat'] };
  writeFileSync(
    join(dir, 'ingest.jsonc'),
    JSON.stringify({
      name: 'hyb-ingest-test',
      main: join(projectRoot, 'runtime/ingest/worker/index.ts'),
      ...compatibility,
      services: sourceNames.map((source) => ({ binding: source.toUpperCase(), service: 'hyb-stream-recorder', entrypoint: pascal(source) })),
    }),
  );
  writeFileSync(
    join(dir, 'recorder.jsonc'),
    JSON.stringify({
      name: 'hyb-stream-recorder',
      main: join(projectRoot, 'tests/fixtures/pipelines-worker/recorder.ts'),
      ...compatibility,
      vars: { SINK_URL: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/` },
    }),
  );
  wrangler = await wranglerDev(dir, ['ingest.jsonc', 'recorder.jsonc']);
  url = wrangler.url;
}, 120_000);

afterAll(async () => {
  await wrangler?.stop();
  await new Promise<void>((resolve) => (sink ? sink.close(() => resolve()) : resolve()));
});

const recordsOf = (stream: string) => received.filter((r) => r.stream === stream).flatMap((r) => r.records);

describe('the Pipelines ingest Worker (workerd)', () => {
  it('forwards OTel SDK logs and spans as stream records', async () => {
    const resource = resourceFromAttributes({ 'service.name': 'edge-app' });
    const logs = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${url}/v1/logs` }) })] });
    logs.getLogger('edge').emit({ timestamp: Date.UTC(2026, 2, 3, 10, 20, 30, 456), body: 'from the edge', eventName: 'browser.page_view', attributes: { 'url.path': '/pricing' } });
    await logs.forceFlush();
    await logs.shutdown();
    const traces = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${url}/v1/traces` }) })] });
    const start = Date.UTC(2026, 2, 3, 11, 0, 0, 0);
    const span = traces.getTracer('api').startSpan('GET /x', { kind: SpanKind.SERVER, startTime: start });
    span.addEvent('step', {}, start + 1);
    span.end(start + 25);
    await traces.forceFlush();
    await traces.shutdown();

    const [log] = await eventually(async () => recordsOf('otel_logs'), (r) => r.length >= 1);
    expect(log).toMatchObject({
      Timestamp: '2026-03-03T10:20:30.456000Z',
      Body: 'from the edge',
      EventName: 'browser.page_view',
      ServiceName: 'edge-app',
      ScopeName: 'edge',
      LogAttributes: { 'url.path': '/pricing' },
      // promoted: the column the lake's queries read (generated/lake/attributes.json)
      LogAttributes__url_path: '/pricing',
      LogAttributes__user_id: '',
    });
    const [spanRecord] = await eventually(async () => recordsOf('otel_traces'), (r) => r.length >= 1);
    expect(spanRecord).toMatchObject({ SpanName: 'GET /x', SpanKind: 'Server', Duration: 25_000_000, Events_Name: ['step'], Events_Timestamp: ['2026-03-03T11:00:00.001000Z'] });
    expect(Object.keys(spanRecord!).some((k) => k.includes('.'))).toBe(false);
  });

  it('answers bad input as the Node receiver does', async () => {
    const post = (body: string, type = 'application/json') => fetch(`${url}/v1/logs`, { method: 'POST', body, headers: { 'content-type': type } });
    expect((await post('{"resourceLogs": [')).status).toBe(400);
    expect((await post('{}', 'text/plain')).status).toBe(415);
    const partial = await post(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 'never' }] }] }] }));
    expect(partial.status).toBe(200);
    expect((await partial.json()).partialSuccess.rejectedLogRecords).toBe('1');
  });
});
