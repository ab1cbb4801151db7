/**
 * What the DSL infers and what the generated client declares agree. These
 * assertions are checked by `tsc` (part of `npm test`); the runtime checks
 * beside them keep the file honest under vitest too.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { InferParams, InferRow } from '../compiler/dsl/index.ts';
import type * as client from '../generated/client.ts';
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
});
