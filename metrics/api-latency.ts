import { avg, count, countIf, defineMetric, max, quantile, ratio, spans } from '../compiler/dsl/index.ts';

const durationMs = spans.col('Duration').div(1e6);
const status = spans.attr('http.response.status_code').toFloat();

/** API latency p50 and p99 per route per hour, from HTTP server spans. */
export const apiLatency = defineMetric({
  description: 'API latency p50 and p99 per route per hour',
  source: spans,
  grain: 'hour',
  where: [spans.col('SpanKind').eq('Server')],
  dimensions: { route: spans.attr('http.route') },
  measures: {
    requests: count(),
    serverErrors: countIf(status.ge(500)),
    errorRate: ratio('serverErrors', 'requests'),
    p50: quantile(durationMs, 0.5),
    p99: quantile(durationMs, 0.99),
    avgMs: avg(durationMs),
    maxMs: max(durationMs),
  },
});
