/**
 * For every metric in metrics/, the MV path (rollup states merged) and the
 * fallback path (single pass over the Iceberg lake) return the same rows:
 * same columns, types and order; exact for integers and mergeable sketches,
 * within 1e-9 relative for floats. A new metric file is covered by this test
 * with no new test code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from '../compiler/project.ts';
import type { CompiledMetric } from '../compiler/codegen/typescript.ts';
import { generate, type Rows } from '../runtime/seed/generate.ts';
import { attachLake, insertRaw, openEngine, queryJson, tempDir, writeLake, type JsonResult } from './support/lake.ts';
import { expectSameRows, floatColumns } from './support/compare.ts';
import { scratchProject } from './support/project.ts';

const root = resolve(import.meta.dirname, '..');
const DAYS = 3;
const dayMs = 86_400_000;
// Relative to today, so retention TTLs never age the fixture out.
const startDay = new Date(Math.floor(Date.now() / dayMs) * dayMs - (DAYS + 1) * dayMs);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
const t0 = startDay.getTime();

let session: Session;
let metrics: readonly CompiledMetric[];
/** Two-level metrics with a grain and a parameter, optional or required: the cases the MV query's FINAL read turns on. */
let extras: readonly CompiledMetric[];
let rows: Rows;

const EXTRA_METRICS = `import { argMin, avg, count, countIf, defineMetric, entity, logs, max, param, quantile } from '../compiler/dsl/index.ts';
const vital = logs.attr('web_vital.value').toFloat();
// a value of each kind of state: plain, two quantiles sharing one, and avg's sum and count
const user = entity(logs.attr('user.id'), {
  events: count(),
  firstPage: argMin(logs.attr('url.path'), logs.timestamp),
  typical: quantile(vital, 0.5),
  high: quantile(vital, 0.9),
  meanVital: avg(vital),
});
const measures = {
  users: count(),
  busy: countIf(user.ref.events.ge(10)),
  fromHome: countIf(user.ref.firstPage.eq('/')),
  typical: avg(user.ref.typical),
  high: max(user.ref.high),
  meanVital: avg(user.ref.meanVital),
};
const shape = { source: logs, grain: 'day', entity: user, measures } as const;
export const usersByEvent = defineMetric({ ...shape, description: 'Users per day, of one kind of event or all', params: { event: param(logs.col('EventName')) } });
export const usersForEvent = defineMetric({ ...shape, description: 'Users per day, of one kind of event', params: { event: param(logs.col('EventName'), { required: true }) } });
`;

beforeAll(async () => {
  const compiled = await compileProject(root);
  expect(compiled.diagnostics).toEqual([]);
  metrics = compiled.metrics;
  const extraDir = join(tempDir('metrics'), 'metrics');
  mkdirSync(extraDir);
  writeFileSync(join(extraDir, 'users.ts'), EXTRA_METRICS);
  const extra = await compileProject(scratchProject({ metrics: extraDir }));
  expect(extra.diagnostics).toEqual([]);
  extras = extra.metrics;
  rows = generate({ seed: 42, start: startDay.toISOString().slice(0, 10), days: DAYS, sessionsPerDay: 400, users: 150 });
  const lake = tempDir('lake');
  writeLake(lake, rows, 3);
  session = openEngine(lake);
  attachLake(session, lake, ['otel_logs', 'otel_traces']);
  for (const m of [...metrics, ...extras]) {
    if (m.sql.targetDDL) session.query(m.sql.targetDDL);
    if (m.sql.mvDDL) session.query(m.sql.mvDDL);
  }
  // Several inserts: the rollups hold partial states that must merge.
  await insertRaw(session, 'otel_logs', rows.otel_logs, 4);
  await insertRaw(session, 'otel_traces', rows.otel_traces, 4);
}, 120_000);

afterAll(() => session?.close());

const ranges = {
  'whole data set': { from: iso(t0 - dayMs), to: iso(t0 + (DAYS + 1) * dayMs) },
  'mid-hour edges': { from: iso(t0 + 5.5 * 3_600_000), to: iso(t0 + 2 * dayMs + 17.75 * 3_600_000) },
  'one day': { from: iso(t0 + dayMs), to: iso(t0 + 2 * dayMs) },
};
/** Ranges with no whole day inside, for the hourly rollups: every bucket is an edge (see the day projection test). */
const edgeRanges = {
  'within one day': { from: iso(t0 + dayMs + 3 * 3_600_000), to: iso(t0 + dayMs + 20.5 * 3_600_000) },
  'across one midnight': { from: iso(t0 + 20 * 3_600_000), to: iso(t0 + dayMs + 5 * 3_600_000) },
};

/** A known value per parameter name, so filtered queries return rows. */
function paramValues(m: CompiledMetric): Record<string, unknown>[] {
  const userParams = m.sql.params.filter((p) => p.name !== 'from' && p.name !== 'to');
  const known: Record<string, unknown> = { userId: rows.otel_logs.find((r) => r.SeverityText === 'ERROR')!.LogAttributes && (rows.otel_logs.find((r) => r.SeverityText === 'ERROR')!.LogAttributes as Record<string, string>)['user.id'], service: 'web', event: 'browser.page_view' };
  const all = Object.fromEntries(userParams.map((p) => [p.name, known[p.name]]));
  const requiredOnly = Object.fromEntries(userParams.filter((p) => p.required).map((p) => [p.name, known[p.name]]));
  const optionalAbsent = Object.fromEntries(userParams.map((p) => [p.name, p.required ? known[p.name] : null]));
  return userParams.some((p) => !p.required) ? [all, optionalAbsent] : [requiredOnly];
}

describe('MV path equals fallback path', () => {
  it('covers every metric in metrics/', () => {
    expect(metrics.map((m) => m.ir.name).length).toBeGreaterThanOrEqual(10);
  });

  it.each(Object.keys(ranges))('every metric over %s', (rangeName) => {
    const range = ranges[rangeName as keyof typeof ranges];
    for (const m of [...metrics, ...extras]) {
      if (!m.sql.mvQuery) continue;
            for (const params of paramValues(m)) {
        const bound = { ...range, ...params };
        const mv = queryJson(session, m.sql.mvQuery, bound);
        const fallback = queryJson(session, m.sql.fallbackQuery, bound);
        expect(fallback.data.length, `${m.ir.name} returns rows over ${rangeName}`).toBeGreaterThan(0);
        try {
          expectSameRows(mv, fallback, floatColumns(m));
        } catch (error) {
          throw new Error(`${m.ir.name} with ${JSON.stringify(params)} over ${rangeName}: ${(error as Error).message}`);
        }
      }
    }
  });

  it('a parameter filter narrows both paths alike', () => {
    const m = metrics.find((x) => x.ir.name === 'errors_for_user')!;
    const range = ranges['whole data set'];
    const users = new Set(rows.otel_logs.filter((r) => r.SeverityText === 'ERROR').map((r) => (r.LogAttributes as Record<string, string>)['user.id']));
    const [a, b] = [...users];
    const countFor = (userId: string | undefined) =>
      queryJson(session, m.sql.mvQuery!, { ...range, userId }).data.reduce((n, r) => n + Number(r.errors), 0);
    const expected = (userId: string | undefined) =>
      rows.otel_logs.filter((r) => r.SeverityText === 'ERROR' && (r.LogAttributes as Record<string, string>)['user.id'] === userId).length;
    expect(countFor(a)).toBe(expected(a));
    expect(countFor(b)).toBe(expected(b));
  });

  it('a required parameter leads the rollup key: a read for one user reads a range of the key, not every user', () => {
    const m = metrics.find((x) => x.ir.name === 'errors_for_user')!;
    expect(m.sql.targetDDL).toMatch(/ORDER BY \(p_userId, bucket,/);
    // 5,000 users' errors over 48 hours, in a table laid out as the rollup is
    session.query(`CREATE TABLE key_probe AS ${m.sql.target}`);
    session.query(
      `INSERT INTO key_probe (p_userId, bucket, d_exceptionType, m_errors_state) SELECT concat('u', toString(number % 5000)), toDateTime('${iso(t0).slice(0, 19)}', 'UTC') + toIntervalHour(intDiv(number, 5000) % 48), 'TypeError', initializeAggregation('countState', number) FROM numbers(240000)`,
    );
    session.query('OPTIMIZE TABLE key_probe FINAL');
    const answer = JSON.parse(session.queryBind(m.sql.mvQuery!.replaceAll(m.sql.target!, 'key_probe'), { ...ranges['whole data set'], userId: 'u42' }, 'JSON')) as JsonResult & { statistics: { rows_read: number } };
    expect(answer.data.reduce((n, r) => n + Number(r.errors), 0)).toBe(48);
    // the rollup key's granules of u42 only (8,192 rows each), against 240,000 rows with the bucket first
    expect(answer.statistics.rows_read).toBeLessThanOrEqual(2 * 8192);
  });

  it('an hourly rollup over a range reads its whole days from the day projection and only the edges hourly', () => {
    const projected = metrics.filter((m) => m.sql.targetDDL?.includes('PROJECTION by_day'));
    expect(projected.map((m) => m.ir.name).sort()).toEqual(['top_errors', 'top_pages', 'unique_visitors', 'web_vitals']);
    for (const m of projected) {
      const params = paramValues(m)[0];
      const plan = (range: { from: string; to: string }) => session.queryBind(`EXPLAIN ${m.sql.mvQuery}`, { ...range, ...params }, 'TSV');
      expect(plan(ranges['mid-hour edges']), m.ir.name).toMatch(/ReadFromMergeTree \(by_day\)/);
      expect(plan(ranges['mid-hour edges']), m.ir.name).toMatch(new RegExp(`ReadFromMergeTree \\(default\\.${m.sql.target}\\)`));
      for (const [rangeName, range] of Object.entries(edgeRanges)) {
        const bound = { ...range, ...params };
        const fallback = queryJson(session, m.sql.fallbackQuery, bound);
        expect(fallback.data.length, `${m.ir.name} returns rows ${rangeName}`).toBeGreaterThan(0);
        expectSameRows(queryJson(session, m.sql.mvQuery!, bound), fallback, floatColumns(m));
      }
    }
  });

  it('quantiles of one expression share one state, and each is the quantile it names', () => {
    const range = ranges['whole data set'];
    for (const name of ['web_vitals', 'api_latency']) {
      const m = metrics.find((x) => x.ir.name === name)!;
      // one sketch for p75 and p95 (or p50 and p99), not one per level
      expect(m.sql.targetDDL!.match(/AggregateFunction\(quantilesDD\(/g), name).toHaveLength(1);
      expect(m.sql.targetDDL, name).not.toMatch(/quantileDD\(/);
      // the same query with its own quantileDD per measure, at the level the metric declares, gives the same values
      const levelOf = (measure: string) => (m.ir.measures[measure] as { level: number }).level;
      const separate = m.sql.fallbackQuery.replace(
        /CAST\(quantilesDD\(0\.01, [\d., ]+\)\((.+?)\)\[\d+\] AS Float64\) AS (\w+)/g,
        (_all, arg: string, measure: string) => `CAST(quantileDD(0.01, ${levelOf(measure)})(${arg}) AS Float64) AS ${measure}`,
      );
      expect(separate, name).not.toBe(m.sql.fallbackQuery);
      const expected = queryJson(session, separate, range);
      expect(expected.data.length, name).toBeGreaterThan(0);
      expectSameRows(queryJson(session, m.sql.fallbackQuery, range), expected, floatColumns(m));
      expectSameRows(queryJson(session, m.sql.mvQuery!, range), expected, floatColumns(m));
    }
  });

  it('unique visitors over a range merge sketches instead of adding daily uniques', () => {
    const range = ranges['whole data set'];
    const overRange = metrics.find((x) => x.ir.name === 'unique_visitors')!;
    const perDay = metrics.find((x) => x.ir.name === 'unique_visitors_per_day')!;
    const total = Number(queryJson(session, overRange.sql.mvQuery!, range).data[0]!.visitors);
    const summed = queryJson(session, perDay.sql.mvQuery!, range).data.reduce((n, r) => n + Number(r.visitors), 0);
    const exact = new Set(rows.otel_logs.filter((r) => r.EventName === 'browser.page_view').map((r) => (r.LogAttributes as Record<string, string>)['user.id'])).size;
    expect(summed).toBeGreaterThan(total);
    expect(Math.abs(total - exact) / exact).toBeLessThan(0.03);
  });

  it('a two-level metric with a grain reads its rollup with FINAL, one row per entity and bucket, unless an optional parameter is left out', () => {
    const all = [...metrics, ...extras];
    const final = all.filter((m) => m.sql.mvQuery?.includes(' FINAL ')).map((m) => m.ir.name);
    expect(final.sort()).toEqual(['signup_funnel', 'users_for_event']);
    // every kind of state is read as it stands: one quantile state for both levels, avg from its sum and count
    const forEvent = extras.find((m) => m.ir.name === 'users_for_event')!.sql.mvQuery!;
    expect(forEvent).toMatch(/finalizeAggregation\(e_typical_state\)\[1\].*finalizeAggregation\(e_typical_state\)\[2\]/);
    expect(forEvent).toContain('finalizeAggregation(e_meanVital_sum) / finalizeAggregation(e_meanVital_count)');
    expect(forEvent).not.toMatch(/Merge\(/);
    // with values in every state: the web vitals carry a number and a page
    for (const m of extras) {
      const bound = { ...ranges['whole data set'], event: 'browser.web_vital' };
      const mv = queryJson(session, m.sql.mvQuery!, bound);
      expectSameRows(mv, queryJson(session, m.sql.fallbackQuery, bound), floatColumns(m));
      expect(mv.data.every((r) => Number(r.typical) > 0 && Number(r.high) >= Number(r.typical) && Number(r.fromHome) > 0), m.ir.name).toBe(true);
    }
    // left out, the optional parameter keeps a row per kind of event for each user and day: FINAL alone would count users twice
    const byEvent = extras.find((m) => m.ir.name === 'users_by_event')!;
    const range = ranges['whole data set'];
    const perKey = queryJson(session, `SELECT max(n) AS most FROM (SELECT count() AS n FROM ${byEvent.sql.target} FINAL GROUP BY bucket, entity_key)`, {});
    expect(Number(perKey.data[0]!.most)).toBeGreaterThan(1);
    const everyEvent = queryJson(session, byEvent.sql.mvQuery!, { ...range, event: null });
    const pageViews = queryJson(session, byEvent.sql.mvQuery!, { ...range, event: 'browser.page_view' });
    const users = (r: JsonResult) => r.data.reduce((n, row) => n + Number(row.users), 0);
    expect(users(everyEvent)).toBeGreaterThanOrEqual(users(pageViews));
    expect(users(everyEvent)).toBe(new Set(rows.otel_logs.map((r) => `${String(r.Timestamp).slice(0, 10)} ${(r.LogAttributes as Record<string, string>)['user.id']}`)).size);
  });
});
