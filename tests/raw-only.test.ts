/**
 * A metric whose measure cannot be rolled up (tdigest quantiles) is refused
 * as a rollup, and compiles as raw-only when declared `rollup: false`: no
 * target, no MV, no MV query, and a fallback query that runs on chDB.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compileMetrics } from '../compiler/compile.ts';
import { count, defineMetric, quantile, spans } from '../compiler/dsl/index.ts';
import { configSchema } from '../schemas/config.ts';
import { generate } from '../runtime/seed/generate.ts';
import { attachLake, openEngine, queryJson, tempDir, writeLake } from './support/lake.ts';

const latency = (rollup: boolean) =>
  defineMetric({
    source: spans,
    rollup,
    where: [spans.col('SpanKind').eq('Server')],
    dimensions: { route: spans.attr('http.route') },
    measures: { requests: count(), p90: quantile(spans.col('Duration').div(1e6), 0.9, { algorithm: 'tdigest' }) },
  });
const config = configSchema.parse({});

describe('raw-only metrics', () => {
  const lake = tempDir('lake');
  const rows = generate({ seed: 7, start: '2026-01-05', days: 1, sessionsPerDay: 100, users: 30 });
  writeLake(lake, { otel_traces: rows.otel_traces });
  const session = openEngine(lake);
  attachLake(session, lake, ['otel_traces']);
  afterAll(() => session.close());

  it('a non-mergeable measure in a rollup is a diagnostic naming the measure', async () => {
    const result = await compileMetrics([{ file: 'metrics/latency.ts', exportName: 'latency', metric: latency(true) }], config);
    expect(result.files.size).toBe(0);
    expect(result.diagnostics).toEqual([expect.objectContaining({ file: 'metrics/latency.ts', path: ['measures', 'p90'] })]);
    expect(result.diagnostics[0]!.message).toMatch(/tdigest/i);
  });

  it('with rollup: false it compiles to a fallback query only, and that query runs', async () => {
    const result = await compileMetrics([{ file: 'metrics/latency.ts', exportName: 'latency', metric: latency(false) }], config);
    expect(result.diagnostics).toEqual([]);
    const [m] = result.metrics;
    expect(m!.sql.mvQuery).toBeNull();
    expect(m!.sql.targetDDL).toBeNull();
    expect(m!.sql.mvDDL).toBeNull();
    expect([...result.files.keys()].filter((f) => f.includes('latency'))).toEqual(['generated/queries/latency.fallback.sql']);
    expect(result.files.get('generated/router-table.ts')).toMatch(/mvQuery: null/);

    const answer = queryJson(session, m!.sql.fallbackQuery, { from: '2026-01-05 00:00:00.000', to: '2026-01-06 00:00:00.000' });
    const expected = new Map<string, number>();
    for (const span of rows.otel_traces) {
      if (span.SpanKind !== 'Server') continue;
      const route = (span.SpanAttributes as Record<string, string>)['http.route']!;
      expected.set(route, (expected.get(route) ?? 0) + 1);
    }
    expect(Object.fromEntries(answer.data.map((r) => [r.route, Number(r.requests)]))).toEqual(Object.fromEntries(expected));
    for (const row of answer.data) expect(row.p90).toBeGreaterThan(0);
  });
});
