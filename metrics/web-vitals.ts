import { count, defineMetric, logs, quantile } from '../compiler/dsl/index.ts';

const value = logs.attr('web_vital.value').toFloat();

/** Web vitals (LCP, CLS, INP) p75 and p95 per page; one row per page and vital. */
export const webVitals = defineMetric({
  description: 'Web vitals p75 and p95 per page',
  source: logs,
  where: [logs.col('EventName').eq('browser.web_vital'), logs.attr('web_vital.name').in(['LCP', 'CLS', 'INP'])],
  dimensions: { page: logs.attr('url.path'), vital: logs.attr('web_vital.name') },
  measures: { p75: quantile(value, 0.75), p95: quantile(value, 0.95), samples: count() },
});
