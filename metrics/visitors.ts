import { defineMetric, logs, uniq } from '../compiler/dsl/index.ts';

const isPageView = logs.col('EventName').eq('browser.page_view');
const visitor = logs.attr('user.id');

/** Unique visitors per day. */
export const uniqueVisitorsPerDay = defineMetric({
  description: 'Unique visitors per day',
  source: logs,
  grain: 'day',
  where: [isPageView],
  measures: { visitors: uniq(visitor) },
});

/** Unique visitors over the whole range: merged sketches, never a sum of daily uniques. */
export const uniqueVisitors = defineMetric({
  description: 'Unique visitors over the range',
  source: logs,
  where: [isPageView],
  measures: { visitors: uniq(visitor) },
});
