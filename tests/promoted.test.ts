/**
 * Promoted attributes (compiler/sql/promoted.ts): every attribute a metric
 * reads gets a lake column of its own, and the fallback queries read it.
 * Over a lake whose first files were written before any attribute was
 * promoted (a lake older than its metrics), the writer adds the columns and
 * fills them; the lake view answers every metric exactly as reading the maps
 * would, and reads the maps of the old files only.
 */
import { join } from 'node:path';
import type { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from '../compiler/project.ts';
import type { CompiledMetric } from '../compiler/codegen/typescript.ts';
import { collectPromoted, promotedColumn, type PromotedAttribute } from '../compiler/sql/promoted.ts';
import { quoteString } from '../compiler/sql/expr.ts';
import { createLakeView, readPromoted } from '../runtime/lake/attributes.ts';
import { generate, type Rows } from '../runtime/seed/generate.ts';
import { type SourceName } from '../schemas/sources.ts';
import { attachLake, openEngine, queryJson, tempDir, writeLake } from './support/lake.ts';
import { expectSameRows, floatColumns } from './support/compare.ts';
import { projectRoot } from './support/project.ts';

const DAYS = 2;
const start = '2026-03-01';
const range = { from: '2026-02-28 00:00:00.000', to: '2026-03-04 00:00:00.000' };
const sourcesRead: SourceName[] = ['otel_logs', 'otel_traces'];

let session: Session;
let lake: string;
let metrics: readonly CompiledMetric[];
let rows: Rows;
const promoted = readPromoted(projectRoot);

const tableOf = (source: SourceName) => `icebergLocal(${quoteString(join(lake, source))})`;
const statistics = (sql: string) => (JSON.parse(session.query(sql, 'JSON').toString()) as { statistics: { rows_read: number } }).statistics;

beforeAll(async () => {
  const compiled = await compileProject(projectRoot);
  expect(compiled.diagnostics).toEqual([]);
  metrics = compiled.metrics;
  rows = generate({ seed: 7, start, days: DAYS, sessionsPerDay: 300, users: 120 });
  lake = tempDir('promoted-lake');
  const half = (list: Record<string, unknown>[], second: boolean) => list.filter((_r, i) => i % 2 === (second ? 1 : 0));
  // Written by a project with no compiled metrics: no attribute columns yet.
  const older = tempDir('uncompiled-project');
  writeLake(lake, { otel_logs: half(rows.otel_logs, false), otel_traces: half(rows.otel_traces, false) }, 2, older);
  session = openEngine(lake);
  // Views made while the table has no attribute columns yet: every attribute from the map.
  session.query('CREATE DATABASE early');
  for (const source of sourcesRead) createLakeView(session, source, 'early', tableOf(source), promoted);
  // Then this project's writer: it adds the columns and fills them.
  writeLake(lake, { otel_logs: half(rows.otel_logs, true), otel_traces: half(rows.otel_traces, true) }, 2);
  attachLake(session, lake, sourcesRead);
  // The reference: every attribute read from its map, nothing else.
  session.query('CREATE DATABASE ref');
  for (const source of sourcesRead) {
    const replace = (promoted[source] ?? []).map((p) => `${p.map}[${quoteString(p.key)}] AS ${p.column}`).join(', ');
    session.query(`CREATE VIEW ref.${source} AS SELECT * REPLACE (${replace}) FROM ${tableOf(source)}`);
  }
}, 120_000);

afterAll(() => session?.close());

describe('promoted attributes', () => {
  it('promotes exactly the attributes the metrics read, per source, under collision-free names', () => {
    expect(collectPromoted(metrics.map((m) => m.ir))).toEqual(promoted);
    const logs = (promoted.otel_logs ?? []).map((p) => p.key);
    expect(logs).toEqual(expect.arrayContaining(['url.path', 'user.id', 'session.id', 'web_vital.value', 'exception.type']));
    expect((promoted.otel_traces ?? []).map((p) => p.key)).toContain('http.route');
    expect(promotedColumn('LogAttributes', 'url.path')).toBe('LogAttributes__url_path');
    expect(promotedColumn('LogAttributes', 'url_path')).not.toBe(promotedColumn('LogAttributes', 'url.path'));
    expect(promotedColumn('LogAttributes', 'a-b')).not.toBe(promotedColumn('LogAttributes', 'a_b'));
    for (const m of metrics) expect(m.sql.fallbackQuery, m.ir.name).not.toMatch(/Attributes\[/);
  });

  it.each(sourcesRead)('%s: files written before promotion lack the columns; later files hold map[key] in every row', (source) => {
    const list = promoted[source]!;
    const perFile = (p: PromotedAttribute) =>
      session.query(
        `SELECT _path, count() AS n, countIf(${p.column} IS NULL) AS missing, countIf(${p.column} = ${p.map}[${quoteString(p.key)}]) AS same, countIf(${p.column} != '') AS filled FROM ${tableOf(source)} GROUP BY _path ORDER BY _path`,
        'JSONEachRow',
      )
        .toString()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { n: number; missing: number; same: number; filled: number });
    for (const p of list) {
      const files = perFile(p);
      const older = files.filter((f) => f.missing === f.n);
      const newer = files.filter((f) => f.missing === 0);
      // two commits each way, a file per day partition touched
      expect(older.length, p.column).toBeGreaterThanOrEqual(2);
      expect(newer.length, p.column).toBeGreaterThanOrEqual(2);
      expect(older.length + newer.length).toBe(files.length);
      for (const f of newer) expect(f.same, p.column).toBe(f.n);
    }
    // some value of each attribute is really there (not only empty strings)
    for (const p of list) expect(perFile(p).reduce((n, f) => n + f.filled, 0), p.column).toBeGreaterThan(0);
  });

  it('splits the view by file only where files lack the columns', () => {
    const view = (db: string) => session.query(`SHOW CREATE VIEW ${db}.otel_logs`, 'TSVRaw').toString();
    expect(view('lake')).toMatch(/UNION ALL/);
    expect(view('lake')).toMatch(/assumeNotNull\(LogAttributes__url_path\)/);
    expect(view('early')).not.toMatch(/UNION ALL|assumeNotNull/);
    // a lake whose every file holds the columns reads them, once
    const fresh = join(lake, 'fresh'); // chDB reads local Iceberg tables below the working directory only
    writeLake(fresh, { otel_logs: rows.otel_logs.slice(0, 500) });
    session.query('CREATE DATABASE fresh');
    createLakeView(session, 'otel_logs', 'fresh', `icebergLocal(${quoteString(join(fresh, 'otel_logs'))})`, promoted);
    expect(view('fresh')).not.toMatch(/UNION ALL|\['url\.path'\]/);
    expect(view('fresh')).toMatch(/assumeNotNull\(LogAttributes__url_path\)/);
  });

  it('answers every metric over the mixed lake as reading the maps does, through views made before and after the columns were added', () => {
    const userId = (rows.otel_logs.find((r) => r.SeverityText === 'ERROR')!.LogAttributes as Record<string, string>)['user.id'];
    for (const m of metrics) {
      const params = { ...range, ...Object.fromEntries(m.sql.params.filter((p) => p.required && p.name !== 'from' && p.name !== 'to').map((p) => [p.name, userId])) };
      const viaMaps = queryJson(session, m.sql.fallbackQuery.replace(/\blake\./g, 'ref.'), params);
      expect(viaMaps.data.length, m.ir.name).toBeGreaterThan(0);
      expectSameRows(queryJson(session, m.sql.fallbackQuery, params), viaMaps, floatColumns(m));
      expectSameRows(queryJson(session, m.sql.fallbackQuery.replace(/\blake\./g, 'early.'), params), viaMaps, floatColumns(m));
    }
  });

  it('reads each row once', () => {
    // One column read through the view: each side of the split reads its
    // own files, so the view reads each row once, as the table itself does.
    const column = promoted.otel_logs!.find((p) => p.key === 'url.path')!.column;
    const view = statistics(`SELECT uniqExact(${column}) FROM lake.otel_logs`);
    const table = statistics(`SELECT uniqExact(${column}) FROM ${tableOf('otel_logs')}`);
    expect(view.rows_read).toBe(table.rows_read);
    expect(table.rows_read).toBe(rows.otel_logs.length);
  });
});
