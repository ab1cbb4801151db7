/**
 * Malformed OTLP, 10,000 payloads against a running `hyb serve ingest`:
 * strict prefixes of valid JSON, wrong top-level types, protobuf whose length
 * prefixes promise more than follows or whose first tag has an invalid wire
 * type, truncated gzip, oversize attributes, unknown media types and
 * encodings — on all three signal paths. Every one must be answered 4xx, the
 * process must keep serving, and the lake must hold exactly the valid records
 * sent before and after (none of a fuzzed payload's).
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signals } from '../runtime/ingest/otlp.ts';
import { tempDir } from './support/lake.ts';
import { postJson, projectWithLake, startService, type RunningService } from './support/services.ts';

const PAYLOADS = 10_000;
const MAX_BODY = 256 * 1024;
let project: string;
let ingest: RunningService;

beforeAll(async () => {
  project = projectWithLake(tempDir('lake'), { ingest: { maxBodyBytes: MAX_BODY, flushSeconds: 1 } });
  ingest = await startService(['ingest'], project);
}, 60_000);

afterAll(async () => {
  await ingest?.stop();
});

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const resource = (service: string) => ({ attributes: [{ key: 'service.name', value: { stringValue: service } }] });
const now = () => String(BigInt(Date.now()) * 1_000_000n);

/** A valid request per signal, as OTLP JSON objects (the protobuf form is encoded from them). */
function valid(signal: 'logs' | 'traces' | 'metrics', service: string, body: string): Record<string, unknown> {
  if (signal === 'logs') return { resourceLogs: [{ resource: resource(service), scopeLogs: [{ logRecords: [{ timeUnixNano: now(), severityText: 'INFO', body: { stringValue: body }, attributes: [{ key: 'k', value: { stringValue: 'v' } }] }] }] }] };
  if (signal === 'traces') {
    return { resourceSpans: [{ resource: resource(service), scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: body, kind: 2, startTimeUnixNano: now(), endTimeUnixNano: now() }] }] }] };
  }
  return { resourceMetrics: [{ resource: resource(service), scopeMetrics: [{ metrics: [{ name: body, gauge: { dataPoints: [{ timeUnixNano: now(), asDouble: 1.5 }] } }] }] }] };
}

const protobuf = (signal: 'logs' | 'traces' | 'metrics', payload: Record<string, unknown>) => {
  const type = signals[signal].request;
  return type.encode(type.fromObject(payload)).finish();
};

interface Fuzzed {
  readonly kind: string;
  readonly path: string;
  readonly body: Uint8Array | string;
  readonly headers: Record<string, string>;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const PROTO_TYPE = { 'content-type': 'application/x-protobuf' };

function fuzzed(random: () => number): Fuzzed {
  const signal = (['logs', 'traces', 'metrics'] as const)[Math.floor(random() * 3)]!;
  const path = `/v1/${signal}`;
  const payload = valid(signal, 'fuzz', `fuzz-${Math.floor(random() * 1e9)}`);
  const text = JSON.stringify(payload);
  const bytes = protobuf(signal, payload);
  const pick = Math.floor(random() * 8);
  switch (pick) {
    case 0: // a strict prefix of a JSON object is never valid JSON
      return { kind: 'json-prefix', path, body: text.slice(0, 1 + Math.floor(random() * (text.length - 1))), headers: JSON_TYPE };
    case 1: {
      const key = Object.keys(payload)[0]!;
      const wrong = [42, 'resource', true, { not: 'a list' }, [1, 2, 3], [['nested']]][Math.floor(random() * 6)];
      return { kind: 'json-wrong-type', path, body: JSON.stringify({ [key]: wrong }), headers: JSON_TYPE };
    }
    case 2: {
      // the first field's length prefix raised: it promises bytes that never come
      const broken = Uint8Array.from(bytes);
      broken[1] = Math.min(127, broken[1]! + 1 + Math.floor(random() * 20));
      return { kind: 'proto-length', path, body: broken, headers: PROTO_TYPE };
    }
    case 3: {
      // field 1 with wire type 7 (there is none) first, then noise
      const noise = Uint8Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256));
      return { kind: 'proto-wire-type', path, body: Uint8Array.from([0x0f, ...noise]), headers: PROTO_TYPE };
    }
    case 4: {
      const zipped = gzipSync(random() < 0.5 ? text : bytes);
      const cut = zipped.subarray(0, 1 + Math.floor(random() * (zipped.length - 2)));
      return { kind: 'gzip-truncated', path, body: cut, headers: { ...(random() < 0.5 ? JSON_TYPE : PROTO_TYPE), 'content-encoding': 'gzip' } };
    }
    case 5: {
      if (random() > 0.05) return fuzzed(random); // few of these: each is a quarter megabyte
      const huge = JSON.stringify(valid(signal, 'fuzz', 'x'.repeat(MAX_BODY + Math.floor(random() * 1000))));
      return { kind: 'oversize', path, body: huge, headers: JSON_TYPE };
    }
    case 6:
      return { kind: 'media-type', path, body: text, headers: { 'content-type': ['text/plain', 'application/xml', 'multipart/form-data', 'application/grpc'][Math.floor(random() * 4)]! } };
    default:
      return { kind: 'encoding', path, body: text, headers: { ...JSON_TYPE, 'content-encoding': ['br', 'deflate', 'zstd', 'x-unknown'][Math.floor(random() * 4)]! } };
  }
}

async function sendValid(marker: string): Promise<void> {
  for (const signal of ['logs', 'traces', 'metrics'] as const) {
    const answer = await postJson(`${ingest.url}/v1/${signal}`, valid(signal, 'fuzz-valid', marker));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toEqual({});
  }
}

it(`answers ${PAYLOADS} malformed payloads with 4xx, keeps serving, and the lake keeps exactly the valid records`, async () => {
  await sendValid('before');
  const random = prng(20261124);
  const byKind = new Map<string, number>();
  const wrong: string[] = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (sent < PAYLOADS) {
        sent += 1;
        const f = fuzzed(random);
        const response = await fetch(`${ingest.url}${f.path}`, { method: 'POST', body: typeof f.body === 'string' ? f.body : Buffer.from(f.body), headers: f.headers });
        await response.arrayBuffer();
        byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
        if (response.status < 400 || response.status >= 500) wrong.push(`${f.kind} ${f.path} → ${response.status}`);
      }
    }),
  );
  console.log(`fuzz: ${sent} malformed payloads, ${wrong.length} not answered 4xx; ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  expect(wrong.slice(0, 10)).toEqual([]);
  expect(ingest.child.exitCode).toBeNull();
  await sendValid('after');

  // SIGTERM flushes; then read the lake with the chDB service
  await ingest.stop();
  const chdb = await startService(['chdb'], project);
  try {
    const rows = async (sql: string) => (await postJson(`${chdb.url}/query`, { sql })).body.data;
    expect(await rows("SELECT ServiceName AS s, Body AS b FROM lake.otel_logs ORDER BY b")).toEqual([
      { s: 'fuzz-valid', b: 'after' },
      { s: 'fuzz-valid', b: 'before' },
    ]);
    expect(await rows('SELECT SpanName AS n FROM lake.otel_traces ORDER BY n')).toEqual([{ n: 'after' }, { n: 'before' }]);
    expect(await rows('SELECT MetricName AS n FROM lake.otel_metrics_gauge ORDER BY n')).toEqual([{ n: 'after' }, { n: 'before' }]);
  } finally {
    await chdb.stop();
  }
}, 300_000);
