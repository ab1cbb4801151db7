/**
 * `hyb serve chdb` over a seeded local lake: every metric's fallback query
 * answers through the service exactly as in-process; bad input gets a 400
 * naming the field; writes are refused; a token guards it; a table written
 * after start is found; nothing is left in the temp folder after a stop.
 */
import { copyFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from 'chdb';
import { compileProject } from '../compiler/project.ts';
import type { CompiledMetric } from '../compiler/codegen/typescript.ts';
import { ATTRIBUTES_FILE } from '../runtime/lake/attributes.ts';
import { generate, type Rows } from '../runtime/seed/generate.ts';
import { attachLake, openEngine, queryJson, tempDir, writeLake } from './support/lake.ts';
import { projectRoot } from './support/project.ts';
import { expectSameRows, floatColumns } from './support/compare.ts';
import { postJson, projectWithLake, startService, type RunningService } from './support/services.ts';

const START = '2026-03-02';
const range = { from: '2026-03-01 00:00:00.000', to: '2026-03-06 00:00:00.000' };

let rows: Rows;
let metrics: readonly CompiledMetric[];
let service: RunningService;
let session: Session;
let lake: string;

beforeAll(async () => {
  rows = generate({ seed: 11, start: START, days: 3, sessionsPerDay: 300, users: 80 });
  lake = tempDir('lake');
  writeLake(lake, { otel_logs: rows.otel_logs, otel_traces: rows.otel_traces }, 2);
  metrics = (await compileProject(projectRoot)).metrics;
  service = await startService(['chdb'], projectWithLake(lake));
  session = openEngine(lake);
  attachLake(session, lake, ['otel_logs', 'otel_traces']);
}, 120_000);

afterAll(async () => {
  await service?.stop();
  session?.close();
});

const query = (body: unknown, headers?: Record<string, string>) => postJson(`${service.url}/query`, body, headers);

function paramsFor(m: CompiledMetric): Record<string, unknown> {
  const known: Record<string, unknown> = {
    userId: (rows.otel_logs.find((r) => r.SeverityText === 'ERROR')!.LogAttributes as Record<string, string>)['user.id'],
    service: 'web',
  };
  return { ...range, ...Object.fromEntries(m.sql.params.filter((p) => p.name !== 'from' && p.name !== 'to').map((p) => [p.name, known[p.name] ?? null])) };
}

describe('chDB service', () => {
  it('reports its sources on /health', async () => {
    const health = await (await fetch(`${service.url}/health`)).json();
    expect(health).toEqual({ status: 'ok', sources: ['otel_logs', 'otel_traces'] });
  });

  it('answers every metric fallback query exactly as chDB in-process', async () => {
    expect(metrics.length).toBeGreaterThan(5);
    for (const m of metrics) {
      const params = paramsFor(m);
      const answer = await query({ sql: m.sql.fallbackQuery, params });
      expect(answer.status, `${m.ir.name}: ${JSON.stringify(answer.body)}`).toBe(200);
      const local = queryJson(session, m.sql.fallbackQuery, params);
      try {
        expectSameRows(answer.body, local, floatColumns(m));
      } catch (error) {
        throw new Error(`${m.ir.name}: ${(error as Error).message}`);
      }
      expect(answer.body.rows).toBe(local.data.length);
      expect(answer.body.data.length, `${m.ir.name} has rows`).toBeGreaterThan(0);
      // what the engine read from the lake, not what it returned (a one-row count read thousands)
      expect(answer.body.statistics.rowsRead, m.ir.name).toBeGreaterThanOrEqual(answer.body.rows);
      if (m.ir.name === 'unique_visitors') expect(answer.body.statistics.rowsRead).toBeGreaterThan(1000);
      expect(answer.body.statistics.bytesRead, m.ir.name).toBeGreaterThan(0);
    }
  });

  it('binds parameters server-side: a quote in a value is data, not SQL', async () => {
    const sql = 'SELECT count() AS n FROM lake.otel_logs WHERE LogAttributes[\'user.id\'] = {user:String}';
    const injected = await query({ sql, params: { user: "x' OR '1'='1" } });
    expect(injected.status).toBe(200);
    expect(injected.body.data).toEqual([{ n: 0 }]);
    const real = await query({ sql, params: { user: (rows.otel_logs[0]!.LogAttributes as Record<string, string>)['user.id'] } });
    expect(Number(real.body.data[0].n)).toBeGreaterThan(0);
  });

  it('answers bad input with a 400 naming the field, and keeps serving', async () => {
    const cases: [unknown, string][] = [
      ['{not json', 'body'],
      [{ params: {} }, 'sql'],
      [{ sql: 'SELECT 1', extra: true }, 'extra'],
      [{ sql: 'SELECT 1', format: 'XML' }, 'format'],
      [{ sql: 'SELECT {n:UInt8} AS n', params: { n: 'many' } }, 'params.n'],
      [{ sql: 'SELECT {n:UInt8} AS n', params: {} }, 'params.n'],
    ];
    for (const [body, field] of cases) {
      const answer = await query(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.field, JSON.stringify(answer.body)).toBe(field);
    }
    const syntax = await query({ sql: 'SELEC 1' });
    expect(syntax.status).toBe(400);
    expect(syntax.body.error.code).toBe('QUERY');
    expect((await query({ sql: 'SELECT 1 AS one' })).body.data).toEqual([{ one: 1 }]);
  });

  it('refuses writes, and any attempt to lift its limits', async () => {
    const cases: [string, string][] = [
      ['CREATE TABLE t (x UInt8) ENGINE = Memory', 'READ_ONLY'],
      ["INSERT INTO FUNCTION file('x.csv') SELECT 1", 'READ_ONLY'],
      ['SET readonly = 0', 'READ_ONLY'],
      ['SET max_execution_time = 0', 'READ_ONLY'],
      ["SELECT 1 INTO OUTFILE 'out.csv'", 'READ_ONLY'],
      ['SELECT 1 FORMAT CSV', 'READ_ONLY'],
      ['SELECT 1 SETTINGS max_result_rows = 0', 'LIMIT_LOCKED'],
      ['SELECT number FROM numbers(10) SETTINGS max_memory_usage = 100000000000000', 'LIMIT_LOCKED'],
      ["SELECT 1 SETTINGS result_overflow_mode = 'break'", 'LIMIT_LOCKED'],
    ];
    for (const [sql, code] of cases) {
      const answer = await query({ sql });
      expect(answer.status, sql).toBe(403);
      expect(answer.body.error.code, sql).toBe(code);
    }
    // chDB would run every statement: a second one is refused before any runs.
    const smuggled = await query({ sql: "SELECT 1; INSERT INTO FUNCTION file('smuggled.csv') SELECT 1" });
    expect(smuggled.status).toBe(400);
    expect(smuggled.body.error).toMatchObject({ code: 'MULTIPLE_STATEMENTS', field: 'sql' });
    expect(existsSync(join(lake, 'smuggled.csv'))).toBe(false);
    expect(existsSync(join(lake, 'out.csv'))).toBe(false);
    // a `;` in a string or a comment, and a trailing one, are fine
    const quoted = await query({ sql: "SELECT 'a;b' AS s /* ; */ -- ;\n;" });
    expect(quoted.body.data).toEqual([{ s: 'a;b' }]);
  });

  it('enforces its result limit', async () => {
    const answer = await query({ sql: 'SELECT number FROM system.numbers LIMIT 2000000' });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('RESULT_TOO_LARGE');
  });

  it('finds a source table written after it started', async () => {
    const fresh = tempDir('lake');
    writeLake(fresh, { otel_logs: rows.otel_logs.slice(0, 50) });
    const late = await startService(['chdb'], projectWithLake(fresh));
    try {
      const sql = 'SELECT count() AS n FROM lake.otel_traces';
      expect((await postJson(`${late.url}/query`, { sql })).status).toBe(400);
      writeLake(fresh, { otel_traces: rows.otel_traces.slice(0, 70) });
      await new Promise((r) => setTimeout(r, 2_100)); // refreshes are at most every 2 s
      const answer = await postJson(`${late.url}/query`, { sql });
      expect(answer.body.data).toEqual([{ n: 70 }]);
    } finally {
      await late.stop();
    }
  });

  it('leaves nothing in the temp folder once stopped, and only its chDB session folder when killed', async () => {
    // (tsx keeps its compile cache there on purpose)
    const left = (tmp: string) => readdirSync(tmp).filter((name) => !name.startsWith('tsx-'));
    const tmp = tempDir('tmp');
    const own = await startService(['chdb'], projectWithLake(lake), { TMPDIR: tmp });
    const answer = await postJson(`${own.url}/query`, { sql: 'SELECT count() AS n FROM lake.otel_logs' });
    expect(answer.body.data).toEqual([{ n: rows.otel_logs.length }]);
    // the limits config is read when the session opens, and its folder removed then
    expect(left(tmp)).toEqual([expect.stringMatching(/^chdb-node-/)]);
    await own.stop();
    expect(left(tmp)).toEqual([]);

    const killedTmp = tempDir('tmp');
    const killed = await startService(['chdb'], projectWithLake(lake), { TMPDIR: killedTmp });
    expect((await postJson(`${killed.url}/query`, { sql: 'SELECT count() AS n FROM lake.otel_logs' })).status).toBe(200);
    killed.child.kill('SIGKILL');
    await new Promise((r) => killed.child.once('exit', r));
    expect(left(killedTmp)).toEqual([expect.stringMatching(/^chdb-node-/)]);
  });

  it('reads attributes promoted after it started, from the maps of files written before', async () => {
    const older = tempDir('lake');
    // written by a project that promotes nothing, served by one that has not compiled yet
    writeLake(older, { otel_logs: rows.otel_logs }, 1, tempDir('uncompiled'));
    const project = projectWithLake(older);
    rmSync(join(project, ATTRIBUTES_FILE));
    const late = await startService(['chdb'], project);
    try {
      const sql = "SELECT count() AS n FROM lake.otel_logs WHERE LogAttributes__url_path = '/pricing'";
      const before = await postJson(`${late.url}/query`, { sql });
      expect(before.status).toBe(400);
      expect(before.body.error.message).toMatch(/LogAttributes__url_path/);
      copyFileSync(join(projectRoot, ATTRIBUTES_FILE), join(project, ATTRIBUTES_FILE));
      await new Promise((r) => setTimeout(r, 2_100)); // refreshes are at most every 2 s
      const after = await postJson(`${late.url}/query`, { sql });
      expect(after.status, JSON.stringify(after.body)).toBe(200);
      const expected = rows.otel_logs.filter((r) => (r.LogAttributes as Record<string, string>)['url.path'] === '/pricing').length;
      expect(expected).toBeGreaterThan(0);
      expect(after.body.data).toEqual([{ n: expected }]);
    } finally {
      await late.stop();
    }
  });

  it('requires the bearer token when one is configured', async () => {
    const guarded = await startService(['chdb'], projectWithLake(lake), { HYB_CHDB_TOKEN: 's3cret' });
    try {
      const url = `${guarded.url}/query`;
      expect((await postJson(url, { sql: 'SELECT 1' })).status).toBe(401);
      expect((await postJson(url, { sql: 'SELECT 1' }, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await postJson(url, { sql: 'SELECT 1' }, { authorization: 'Bearer s3cret' })).status).toBe(200);
      expect((await fetch(`${guarded.url}/health`)).status).toBe(200);
    } finally {
      await guarded.stop();
    }
  });
});
