import { count, defineMetric, logs, param, uniq } from '../compiler/dsl/index.ts';

const isPageView = logs.col('EventName').eq('browser.page_view');
const page = logs.attr('url.path');

/** Page views per day per page. */
export const pageviewsPerDay = defineMetric({
  description: 'Page views per day per page',
  source: logs,
  grain: 'day',
  where: [isPageView],
  dimensions: { page },
  measures: { views: count() },
  params: { service: param(logs.col('ServiceName')) },
});

/** The most viewed pages over the range. */
export const topPages = defineMetric({
  description: 'Top pages by views',
  source: logs,
  where: [isPageView],
  dimensions: { page },
  measures: { views: count(), visitors: uniq(logs.attr('user.id')) },
  orderBy: [['views', 'desc']],
  limit: 10,
});
