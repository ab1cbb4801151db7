/**
 * The ClickHouse-tier cases every server must pass, the local store or a
 * real ClickHouse: run through `@clickhouse/client` only.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { expect, it } from 'vitest';
import { compileProject } from '../../compiler/project.ts';
import { lakeViewDDL, rawTableDDL } from '../../compiler/sql/sources.ts';
import { readPromoted } from '../../runtime/lake/attributes.ts';
import { generate } from '../../runtime/seed/generate.ts';
import { expectSameRows, floatColumns } from './compare.ts';
import type { JsonResult } from './lake.ts';
import { projectRoot } from './project.ts';

export function tierCases(clientOf: () => ClickHouseClient): void {
  it('runs commands, inserts and parameterised queries', async () => {
    await clientOf().command({ query: 'CREATE TABLE IF NOT EXISTS t (id UInt64, name String, at DateTime64(3, \'UTC\'), tag Nullable(String)) ENGINE = MergeTree ORDER BY id' });
    await clientOf().insert({
      table: 't',
      values: [
        { id: 1, name: "it's\ta tab", at: '2026-01-01 00:00:00.001', tag: null },
        { id: 2, name: 'two', at: '2026-01-02 00:00:00.000', tag: 'x' },
      ],
      format: 'JSONEachRow',
    });
    const rows = await clientOf().query({
      query: 'SELECT id, name, tag FROM t WHERE name = {name:String} OR tag = {tag:Nullable(String)} OR at > {after:DateTime64(3, \'UTC\')} ORDER BY id',
      query_params: { name: "it's\ta tab", tag: null, after: '2026-01-01 12:00:00.000' },
      format: 'JSONEachRow',
    });
    expect(await rows.json()).toEqual([
      { id: '1', name: "it's\ta tab", tag: null },
      { id: '2', name: 'two', tag: 'x' },
    ]);
    const settings = await clientOf().query({ query: "SELECT getSetting('max_threads') AS n", format: 'JSONEachRow', clickhouse_settings: { max_threads: 1 } });
    expect(await settings.json()).toEqual([{ n: 1 }]);
    // a setting applies to its request only
    const after = await clientOf().query({ query: "SELECT getSetting('max_threads') AS n", format: 'JSONEachRow' });
    expect(((await after.json()) as { n: number }[])[0]!.n).not.toBe(1);
  });

  it('binds each request\'s parameters only: a placeholder without one is an error, whatever ran before', async () => {
    const one = async (query: string, query_params?: Record<string, unknown>) => (await clientOf().query({ query, query_params, format: 'JSONEachRow' })).json();
    // enough requests to pass through every connection of a server that keeps several
    for (let i = 0; i < 8; i++) expect(await one('SELECT {x:UInt8} AS x, {y:String} AS y', { x: i, y: `y${i}` })).toEqual([{ x: i, y: `y${i}` }]);
    for (let i = 0; i < 8; i++) {
      await expect(one('SELECT {x:UInt8} AS x')).rejects.toMatchObject({ code: '456', type: 'UNKNOWN_QUERY_PARAMETER' });
      await expect(one('SELECT {y:String} AS y', { x: 1 })).rejects.toMatchObject({ code: '456' });
    }
    // placeholder-like text in a literal or a comment is text
    expect(await one("SELECT '{x:UInt8}' AS s -- {y:String}\n")).toEqual([{ s: '{x:UInt8}' }]);
    expect(await one("SELECT 'it''s {x:String}' AS s, {x:String} AS x /* {z:UInt8} */", { x: "'; DROP TABLE t; --" })).toEqual([{ s: "it's {x:String}", x: "'; DROP TABLE t; --" }]);
  });

  it('reports errors with their ClickHouse code and type, and keeps serving', async () => {
    await expect(clientOf().query({ query: 'SELECT * FROM missing_table' })).rejects.toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });
    await expect(clientOf().query({ query: 'SELEC 1' })).rejects.toMatchObject({ code: '62', type: 'SYNTAX_ERROR' });
    await expect(clientOf().query({ query: 'SELECT {n:UInt8}', query_params: { n: 'lots' } })).rejects.toMatchObject({ code: expect.stringMatching(/^(457|27|6)$/) });
    expect(await (await clientOf().query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })).json()).toEqual([{ one: 1 }]);
  });

  it('takes every metric\'s DDL, fires its MV on insert, and answers its MV query through the client', async () => {
    const compiled = await compileProject(projectRoot);
    for (const source of ['otel_logs', 'otel_traces'] as const) await clientOf().command({ query: rawTableDDL(source, { ttlDays: 3650 }) });
    // The raw tables as the fallback queries read the lake: each promoted attribute computed from its map.
    const promoted = readPromoted(projectRoot);
    await clientOf().command({ query: 'CREATE DATABASE IF NOT EXISTS raw_lake' });
    for (const source of ['otel_logs', 'otel_traces'] as const) await clientOf().command({ query: lakeViewDDL(source, 'raw_lake', source, promoted[source]) });
    for (const m of compiled.metrics) {
      if (m.sql.targetDDL) await clientOf().command({ query: m.sql.targetDDL });
      if (m.sql.mvDDL) await clientOf().command({ query: m.sql.mvDDL });
    }
    // recent days: rollups older than their retention are dropped by TTL
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const rows = generate({ seed: 9, start: day(-3), days: 2, sessionsPerDay: 150, users: 40 });
    await clientOf().insert({ table: 'otel_logs', values: rows.otel_logs, format: 'JSONEachRow' });
    await clientOf().insert({ table: 'otel_traces', values: rows.otel_traces, format: 'JSONEachRow' });
    const params = { from: `${day(-4)} 00:00:00.000`, to: `${day(0)} 00:00:00.000`, userId: (rows.otel_logs.find((r) => r.SeverityText === 'ERROR')!.LogAttributes as Record<string, string>)['user.id'], service: null };
    for (const m of compiled.metrics) {
      if (!m.sql.mvQuery) continue;
      const bound = Object.fromEntries(m.sql.params.map((p) => [p.name, params[p.name as keyof typeof params] ?? null]));
      const mv = (await (await clientOf().query({ query: m.sql.mvQuery, query_params: bound, format: 'JSON' })).json()) as JsonResult;
      expect(mv.data.length, m.ir.name).toBeGreaterThan(0);
      // the fallback over the same raw rows (MergeTree here, not the lake) answers the same
      const raw = m.sql.fallbackQuery.replace(/\blake\./g, 'raw_lake.');
      const single = (await (await clientOf().query({ query: raw, query_params: bound, format: 'JSON' })).json()) as JsonResult;
      try {
        expectSameRows(mv, single, floatColumns(m));
      } catch (error) {
        throw new Error(`${m.ir.name}: ${(error as Error).message}`);
      }
    }
  }, 60_000);
}
