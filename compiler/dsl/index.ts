export { Expr, and, or, not, type JsOf } from './expr.ts';
export { logs, spans, gauges } from './sources.ts';
export { count, countIf, sum, min, max, avg, uniq, uniqExact, quantile, argMin, argMax, funnel, ratio, Measure } from './measures.ts';
export { defineMetric, entity, param, isMetric, type Metric, type MetricDefinition, type InferRow, type InferParams } from './define-metric.ts';
export { defineConfig, isConfig } from './define-config.ts';
