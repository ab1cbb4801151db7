/**
 * What the DSL infers and what the generated client declares agree. These
 * assertions are checked by `tsc` (part of `npm test`); the runtime checks
 * beside them keep the file honest under vitest too.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { InferParams, InferRow } from '../compiler/dsl/index.ts';
import type * as client from '../generated/client.ts';
import type * as hooks from '../generated/hooks.ts';
import type { QueryResult } from '../runtime/client/index.ts';
import { hybQueryKey } from '../runtime/client/react.ts';
import { routerTable } from '../generated/router-table.ts';
import { bounceRate } from '../metrics/bounce-rate.ts';
import { errorsForUser, errorsPerHour, topErrors } from '../metrics/errors.ts';
import { pageviewsPerDay } from '../metrics/pageviews.ts';
import { signupFunnel } from '../metrics/funnel.ts';
import { apiLatency } from '../metrics/api-latency.ts';

describe('inferred types', () => {
  it('rows inferred from declarations equal the generated row types', () => {
    expectTypeOf<InferRow<typeof errorsPerHour>>().toEqualTypeOf<client.ErrorsPerHourRow>();
    expectTypeOf<InferRow<typeof topErrors>>().toEqualTypeOf<client.TopErrorsRow>();
    expectTypeOf<InferRow<typeof bounceRate>>().toEqualTypeOf<client.BounceRateRow>();
    expectTypeOf<InferRow<typeof signupFunnel>>().toEqualTypeOf<client.SignupFunnelRow>();
    expectTypeOf<InferRow<typeof apiLatency>>().toEqualTypeOf<client.ApiLatencyRow>();
    expect(Object.keys(routerTable)).toContain('errors_per_hour');
  });

  it('pins the shapes users see', () => {
    expectTypeOf<client.ErrorsPerHourRow>().toEqualTypeOf<{ time: string; exceptionType: string; errors: number }>();
    expectTypeOf<client.BounceRateRow>().toEqualTypeOf<{ page: string; sessions: number; bounces: number; bounceRate: number | null }>();
    expectTypeOf<client.TopErrorsRow>().not.toHaveProperty('time');
  });

  it('parameters: required, optional and none', () => {
    expectTypeOf<InferParams<typeof errorsForUser>>().toEqualTypeOf<client.ErrorsForUserParams>();
    expectTypeOf<client.ErrorsForUserParams>().toEqualTypeOf<{ userId: string }>();
    expectTypeOf<InferParams<typeof pageviewsPerDay>>().toEqualTypeOf<client.PageviewsPerDayParams>();
    expectTypeOf<client.PageviewsPerDayParams>().toEqualTypeOf<{ service?: string }>();
    expectTypeOf<client.ErrorsPerHourParams>().toEqualTypeOf<Record<string, never>>();
    expect(routerTable.errors_for_user.params.safeParse({}).success).toBe(false);
    expect(routerTable.errors_for_user.params.safeParse({ userId: 'u1' }).success).toBe(true);
  });

  it('the generated zod schemas reject unknown and mistyped parameters, naming the field', () => {
    const unknown = routerTable.pageviews_per_day.params.safeParse({ servce: 'web' });
    expect(unknown.success).toBe(false);
    expect(JSON.stringify(unknown.error?.issues)).toContain('servce');
    const mistyped = routerTable.errors_for_user.params.safeParse({ userId: 42 });
    expect(mistyped.error?.issues[0]?.path).toEqual(['userId']);
  });

  it('each hook takes its query\'s parameters and yields its rows', () => {
    expectTypeOf<Parameters<typeof hooks.useErrorsForUser>[0]>().toEqualTypeOf<client.ErrorsForUserParams>();
    expectTypeOf<Parameters<typeof hooks.usePageviewsPerDay>[0]>().toEqualTypeOf<{ service?: string }>();
    expectTypeOf<ReturnType<typeof hooks.useBounceRate>['data']>().toEqualTypeOf<QueryResult<client.BounceRateRow> | undefined>();
    expectTypeOf<ReturnType<typeof hooks.useApiLatency>['data']>().not.toEqualTypeOf<QueryResult<client.BounceRateRow> | undefined>();
  });
});

describe('hook query keys', () => {
  it('are equal for the same query, parameters and range whatever the property order, and differ otherwise', () => {
    const key = hybQueryKey('pageviews_per_day', { service: 'web', page: '/a' }, '7d');
    expect(hybQueryKey('pageviews_per_day', { page: '/a', service: 'web' }, '7d')).toEqual(key);
    expect(JSON.stringify(hybQueryKey('pageviews_per_day', { page: '/a', service: 'web' }, '7d'))).toBe(JSON.stringify(key));
    expect(hybQueryKey('pageviews_per_day', { service: 'api', page: '/a' }, '7d')).not.toEqual(key);
    expect(hybQueryKey('pageviews_per_day', { service: 'web', page: '/a' }, '30d')).not.toEqual(key);
    expect(hybQueryKey('top_pages', { service: 'web', page: '/a' }, '7d')).not.toEqual(key);
    const range = { from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' };
    expect(hybQueryKey('top_pages', {}, range)).toEqual(hybQueryKey('top_pages', {}, { ...range }));
    expect(hybQueryKey('top_pages', {}, range)).not.toEqual(hybQueryKey('top_pages', {}, { ...range, to: '2026-12-03T00:00:00Z' }));
  });
});
