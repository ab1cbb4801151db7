/**
 * The Pipelines stream schemas cover every source column with a valid type,
 * and every row the OTLP mapper makes, turned into a stream record, fits its
 * source's schema: the contract the production Worker relies on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { streamType, type StreamField } from '../compiler/codegen/pipelines.ts';
import { decodeJson, decodeProtobuf, mapRequest, signals } from '../runtime/ingest/otlp.ts';
import { toStreamRecord } from '../runtime/ingest/pipelines.ts';
import { readPromoted } from '../runtime/lake/attributes.ts';
import { sourceNames, sources, type SourceName } from '../schemas/sources.ts';
import { projectRoot } from './support/project.ts';

const promoted = readPromoted(projectRoot);
const schema = (source: SourceName) => JSON.parse(readFileSync(join(projectRoot, 'generated/pipelines', `${source}.schema.json`), 'utf8')) as { fields: StreamField[] };

/** Why `value` does not fit `field`, or null. */
function misfit(field: Omit<StreamField, 'name' | 'required'>, value: unknown): string | null {
  switch (field.type) {
    case 'string':
      return typeof value === 'string' ? null : 'not a string';
    case 'bool':
      return typeof value === 'boolean' ? null : 'not a bool';
    case 'int32':
    case 'int64':
      return Number.isInteger(value) ? null : 'not an integer';
    case 'float64':
      return typeof value === 'number' ? null : 'not a number';
    case 'timestamp':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(value) && !Number.isNaN(Date.parse(value)) ? null : `not RFC 3339: ${String(value)}`;
    case 'json':
      return value !== undefined ? null : 'missing';
    case 'list':
      return Array.isArray(value) ? (value.map((v) => misfit(field.items!, v)).find((m) => m !== null) ?? null) : 'not a list';
  }
}

const kv = (key: string, value: unknown) => ({ key, value });
const resource = { attributes: [kv('service.name', { stringValue: 'svc' })] };
const requests = {
  logs: { resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 's' }, logRecords: [{ timeUnixNano: '1772532000000000000', body: { stringValue: 'b' }, attributes: [kv('a', { intValue: '1' })] }] }] }] },
  traces: {
    resourceSpans: [
      {
        resource,
        scopeSpans: [
          {
            spans: [
              {
                traceId: '0af7651916cd43dd8448eb211c80319c',
                spanId: 'b7ad6b7169203331',
                name: 'GET /',
                kind: 2,
                startTimeUnixNano: '1772532000000000000',
                endTimeUnixNano: '1772532000500000000',
                events: [{ timeUnixNano: '1772532000100000000', name: 'e', attributes: [kv('k', { boolValue: true })] }],
                links: [{ traceId: '0af7651916cd43dd8448eb211c80319d', spanId: 'b7ad6b7169203332' }],
                status: { code: 2 },
              },
            ],
          },
        ],
      },
    ],
  },
  metrics: {
    resourceMetrics: [
      {
        resource,
        scopeMetrics: [
          {
            metrics: [
              { name: 'g', gauge: { dataPoints: [{ timeUnixNano: '1772532000000000000', asDouble: 1.5 }] } },
              { name: 's', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: '1772532000000000000', asInt: '3' }] } },
              { name: 'h', histogram: { aggregationTemporality: 1, dataPoints: [{ timeUnixNano: '1772532000000000000', count: '2', sum: 3, bucketCounts: ['1', '1'], explicitBounds: [1], min: 1, max: 2 }] } },
            ],
          },
        ],
      },
    ],
  },
};

/** The same request with ids as bytes, as protobuf carries them. */
function withByteIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withByteIds);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k.endsWith('Id') && typeof v === 'string' ? Buffer.from(v, 'hex') : withByteIds(v)]));
  }
  return value;
}

describe('protobuf decoding for workerd', () => {
  it('maps protobuf exactly as JSON, without generating code (workerd forbids new Function)', () => {
    for (const [signal, request] of Object.entries(requests) as [keyof typeof requests, object][]) {
      const type = signals[signal].request;
      const bytes = type.encode(type.fromObject(withByteIds(request) as Record<string, unknown>)).finish();
      const original = globalThis.Function;
      globalThis.Function = function () {
        throw new Error('code generation');
      } as unknown as FunctionConstructor;
      let fromProto;
      try {
        fromProto = mapRequest(signal, decodeProtobuf(signal, bytes));
      } finally {
        globalThis.Function = original;
      }
      expect(fromProto).toEqual(mapRequest(signal, decodeJson(Buffer.from(JSON.stringify(request)))));
      expect(fromProto.accepted).toBeGreaterThan(0);
    }
  });
});

describe('Pipelines stream schemas', () => {
  it.each(sourceNames)('%s: one field per column, in order, then one per promoted attribute; the time column required', (source) => {
    const { fields } = schema(source);
    const attributeFields = (promoted[source] ?? []).map((p) => p.column);
    expect(fields.map((f) => f.name)).toEqual([...sources[source].columns.map((c) => c.name.replace(/\./g, '_')), ...attributeFields]);
    expect(fields.filter((f) => f.required).map((f) => f.name)).toEqual([sources[source].timeColumn]);
    expect(fields.every((f) => !f.name.includes('.'))).toBe(true);
  });

  it('refuses a column type it cannot carry', () => {
    expect(() => streamType('Decimal(10, 2)')).toThrow(/no Pipelines type for ClickHouse type Decimal/);
    expect(streamType('Array(Map(LowCardinality(String), String))')).toEqual({ type: 'list', items: { type: 'json' } });
  });

  it('every mapped row fits its stream, every field present', () => {
    const seen = new Set<SourceName>();
    for (const [signal, request] of Object.entries(requests)) {
      const mapped = mapRequest(signal as keyof typeof requests, request);
      expect(mapped.rejected, mapped.errorMessage).toBe(0);
      for (const [source, rows] of Object.entries(mapped.rows) as [SourceName, Record<string, unknown>[]][]) {
        seen.add(source);
        const { fields } = schema(source);
        for (const row of rows) {
          const record = toStreamRecord(source, row, promoted[source]);
          for (const p of promoted[source] ?? []) expect(record[p.column]).toBe((row[p.map] as Record<string, string>)[p.key] ?? '');
          expect(Object.keys(record).sort()).toEqual(fields.map((f) => f.name).sort());
          for (const field of fields) expect(misfit(field, record[field.name]), `${source}.${field.name}`).toBeNull();
        }
      }
    }
    expect([...seen].sort()).toEqual(sourceNames);
  });
});
