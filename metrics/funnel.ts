import { countIf, defineMetric, entity, funnel, logs, ratio } from '../compiler/dsl/index.ts';

const step = (name: string) => logs.col('EventName').eq(name);

/** Per user and day: how far along the signup funnel they got within an hour. */
const user = entity(logs.attr('user.id'), {
  level: funnel({
    windowSeconds: 3600,
    by: logs.timestamp,
    steps: [step('signup.view'), step('signup.start'), step('signup.complete')],
  }),
});

/** Signup funnel conversion per day. */
export const signupFunnel = defineMetric({
  description: 'Signup funnel conversion per day',
  source: logs,
  grain: 'day',
  where: [logs.col('EventName').in(['signup.view', 'signup.start', 'signup.complete'])],
  entity: user,
  measures: {
    viewed: countIf(user.ref.level.ge(1)),
    started: countIf(user.ref.level.ge(2)),
    completed: countIf(user.ref.level.ge(3)),
    conversion: ratio('completed', 'viewed'),
  },
});
