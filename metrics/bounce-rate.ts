import { argMin, count, countIf, defineMetric, entity, logs, ratio } from '../compiler/dsl/index.ts';

/** Per session: the page it entered on and how many pages it viewed. */
const session = entity(logs.attr('session.id'), {
  entryPage: argMin(logs.attr('url.path'), logs.timestamp),
  views: count(),
});

/** Bounce rate per entry page: sessions that viewed one page and left. */
export const bounceRate = defineMetric({
  description: 'Bounce rate per page',
  source: logs,
  where: [logs.col('EventName').eq('browser.page_view')],
  entity: session,
  dimensions: { page: session.ref.entryPage },
  measures: { sessions: count(), bounces: countIf(session.ref.views.eq(1)), bounceRate: ratio('bounces', 'sessions') },
  orderBy: [['sessions', 'desc']],
});
