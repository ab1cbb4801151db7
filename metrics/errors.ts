import { count, defineMetric, logs, param, uniqExact } from '../compiler/dsl/index.ts';

const isError = logs.col('SeverityText').eq('ERROR');
const exceptionType = logs.attr('exception.type');

/** Errors per hour per exception type. */
export const errorsPerHour = defineMetric({
  description: 'Errors per hour per exception type',
  source: logs,
  grain: 'hour',
  where: [isError],
  dimensions: { exceptionType },
  measures: { errors: count() },
});

/** The ten most frequent errors over the range, with how many users hit them. */
export const topErrors = defineMetric({
  description: 'Top 10 errors',
  source: logs,
  where: [isError],
  dimensions: { exceptionType },
  measures: { errors: count(), users: uniqExact(logs.attr('user.id')) },
  orderBy: [['errors', 'desc']],
  limit: 10,
});

/** One user's errors, for support: which exceptions they hit, per hour. */
export const errorsForUser = defineMetric({
  description: 'Errors for a given user id',
  source: logs,
  grain: 'hour',
  where: [isError],
  dimensions: { exceptionType },
  measures: { errors: count() },
  params: { userId: param(logs.attr('user.id'), { required: true }) },
});
