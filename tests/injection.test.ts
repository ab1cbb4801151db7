/**
 * The injection corpus: quotes, comments, UNION, multi-statements, FORMAT and
 * SETTINGS smuggling, table functions that reach files or the network —
 * through `/query` parameters (both paths) and through `/sql`. Nothing but the
 * intended query may run: parameter values match as plain strings, refusals
 * are 4xx, and afterwards the lake's files, the store's tables and the lake's
 * row counts are exactly as before.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerTable } from '../generated/router-table.ts';
import { routerApp, type RouterApp, type RouterEntry } from '../runtime/router/app.ts';
import { postJson } from './support/services.ts';
import { Stack } from './support/stack.ts';

const table = routerTable as unknown as Record<string, RouterEntry>;
const ADMIN = 'admin-token-0123456789';
let stack: Stack;
let userId: string;
let viaMv: RouterApp;
let viaChdb: RouterApp;
let before: string;

/** Everything an escape could change: lake files, store tables and their rows, lake row counts. */
async function fingerprint(): Promise<string> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else files.push(`${path.slice(stack.lake.length)} ${stat.size}`);
    }
  };
  walk(stack.lake);
  const store = createClient({ url: stack.store.url });
  const tables = await (
    await store.query({ query: "SELECT database, name, total_rows FROM system.tables WHERE database NOT IN ('system', 'INFORMATION_SCHEMA', 'information_schema') ORDER BY ALL", format: 'JSONCompact' })
  ).json();
  await store.close();
  const counts = await postJson(`${stack.chdb.url}/query`, {
    sql: 'SELECT (SELECT count() FROM lake.otel_logs), (SELECT count() FROM lake.otel_traces)',
    format: 'JSONCompact',
  });
  return JSON.stringify({ files, tables: tables.data, counts: counts.body.data });
}

beforeAll(async () => {
  stack = await Stack.start({ days: 2, events: 10_000 });
  const found = await postJson(`${stack.chdb.url}/query`, { sql: "SELECT LogAttributes['user.id'] AS u FROM lake.otel_logs WHERE SeverityText = 'ERROR' LIMIT 1" });
  userId = found.body.data[0].u;
  const common = { table, chdb: { url: stack.chdb.url }, healthIntervalSeconds: 30, maxStalenessSeconds: 900, tokens: { admin: [ADMIN] } };
  viaMv = routerApp({ ...common, endpoints: [{ name: 'local', url: stack.store.url }] });
  viaChdb = routerApp({ ...common, endpoints: [] });
  before = await fingerprint();
}, 180_000);

afterAll(async () => {
  await Promise.all([viaMv?.close(), viaChdb?.close()]);
  await stack?.stop();
});

async function ask(app: RouterApp, path: '/query' | '/sql', body: unknown) {
  const response = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

/** Strings that would widen, extend or replace the query if they were spliced into it. */
const hostile = (id: string) => [
  "' OR '1'='1",
  "x' OR 1=1 --",
  `${id}' OR '1'='1`,
  `${id}' --`,
  "x'; DROP TABLE hyb_migrations; --",
  "x' UNION ALL SELECT now(), 'leak', 1 --",
  "x') OR ('1'='1",
  "\\' OR 1=1 --",
  "x' /* */ OR /* */ 1=1 /*",
  "x' FORMAT TSV --",
  "x' SETTINGS readonly = 0 --",
  "x' INTO OUTFILE '/tmp/hyb-escape' --",
  '{userId:String}',
  'x\n; SYSTEM SHUTDOWN',
  "x\u0000' OR 1=1 --",
  "$$ OR 1=1 $$",
  "` OR 1=1 --",
];

describe('through /query parameters', () => {
  it('a real value finds rows, so an empty answer below means the value matched as a string', async () => {
    for (const app of [viaMv, viaChdb]) {
      const { status, body } = await ask(app, '/query', { query: 'errors_for_user', timeRange: '7d', params: { userId } });
      expect(status).toBe(200);
      expect(body.rows.length).toBeGreaterThan(0);
    }
  });

  it('hostile values are bound as plain strings on the MV and on chDB: no rows, no error, no other statement', async () => {
    let tried = 0;
    for (const value of hostile(userId)) {
      for (const [app, source] of [[viaMv, 'clickhouse'], [viaChdb, 'chdb']] as const) {
        const user = await ask(app, '/query', { query: 'errors_for_user', timeRange: '7d', params: { userId: value } });
        expect(user.status, `${source} ${JSON.stringify(value)}: ${JSON.stringify(user.body)}`).toBe(200);
        expect(user.body.source).toBe(source);
        expect(user.body.rows, JSON.stringify(value)).toEqual([]);
        const pages = await ask(app, '/query', { query: 'pageviews_per_day', timeRange: '7d', params: { service: value } });
        expect(pages.status).toBe(200);
        expect(pages.body.rows, JSON.stringify(value)).toEqual([]);
        tried += 2;
      }
    }
    console.log(`injection: ${tried} hostile parameter values bound on both paths, 0 escaped`);
  });

  it('smuggling through the request shape is a 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ query: "errors_for_user'; DROP TABLE hyb_migrations; --", timeRange: '7d', params: { userId } }, 'query'],
      [{ query: 'errors_for_user', timeRange: "7d' OR 1=1 --", params: { userId } }, 'timeRange'],
      [{ query: 'errors_for_user', timeRange: { from: "2026-01-01' OR 1=1 --", to: '2026-01-02' }, params: { userId } }, 'timeRange.from'],
      [{ query: 'errors_for_user', timeRange: '7d', params: { userId, readonly: 0 } }, 'params.readonly'],
      [{ query: 'errors_for_user', timeRange: '7d', params: { userId, from: '1970-01-01 00:00:00' } }, 'params.from'],
      [{ query: 'errors_for_user', timeRange: '7d', params: { userId: ["' OR 1=1 --"] } }, 'params.userId'],
      [{ query: 'errors_for_user', timeRange: '7d', params: { userId }, settings: { readonly: 0 } }, 'settings'],
      [{ query: 'errors_for_user', timeRange: '7d', params: { userId }, format: 'TSV' }, 'format'],
    ];
    for (const [request, field] of cases) {
      for (const app of [viaMv, viaChdb]) {
        const { status, body } = await ask(app, '/query', request);
        expect(status, JSON.stringify(request)).toBe(400);
        expect(body.error.field, JSON.stringify(body)).toBe(field);
      }
    }
  });
});

describe('through /sql', () => {
  const refused = [
    'SELECT 1; DROP TABLE lake.otel_logs',
    'SELECT 1 -- trailing\n; DROP TABLE lake.otel_logs',
    "SELECT ';' AS a; INSERT INTO lake.otel_logs (Body) VALUES ('x')",
    'SELECT 1 /* ; */ ; CREATE TABLE t (x UInt8) ENGINE = Memory',
    'SELECT $$;$$; DROP DATABASE lake',
    'SELECT 1 FORMAT TSV',
    'SELECT 1 FORMAT Native',
    "SELECT 1 INTO OUTFILE '/tmp/hyb-escape'",
    "INSERT INTO FUNCTION file('hyb-escape.csv') SELECT 1",
    "INSERT INTO lake.otel_logs (Body) VALUES ('x')",
    'SET readonly = 0',
    'SELECT count() FROM lake.otel_logs SETTINGS readonly = 0',
    'SELECT count() FROM lake.otel_logs SETTINGS max_execution_time = 0',
    'SELECT count() FROM lake.otel_logs SETTINGS max_result_rows = 0',
    'DROP TABLE lake.otel_logs',
    'TRUNCATE TABLE lake.otel_logs',
    'ALTER TABLE lake.otel_logs DELETE WHERE 1',
    'CREATE TABLE t (x UInt8) ENGINE = Memory',
    'OPTIMIZE TABLE lake.otel_logs',
    'SYSTEM SHUTDOWN',
    'KILL QUERY WHERE 1',
    'ATTACH TABLE t',
    'GRANT ALL ON *.* TO default',
    "SELECT * FROM file('/etc/passwd', 'LineAsString')",
    "SELECT * FROM url('http://127.0.0.1:9/?query=DROP+TABLE+hyb_migrations', 'LineAsString')",
    "SELECT * FROM executable('id', 'TSV', 'x String')",
    "SELECT * FROM remote('127.0.0.1', system.one)",
    "SELECT * FROM s3('http://127.0.0.1:9/bucket/x.csv', 'CSV')",
    "SELECT * FROM file('../../../../etc/passwd', 'LineAsString') AS f",
    "SELECT count() FROM numbers(10) WHERE toString(number) IN (SELECT line FROM url('http://127.0.0.1:9/', 'LineAsString'))",
    "SELECT file('/etc/passwd') AS secret",
    "SELECT * FROM mysql('127.0.0.1:9', 'db', 't', 'u', 'p')",
    "SELECT * FROM input('x String')",
  ];

  it('refuses every statement that is not one plain SELECT over the lake, with a 4xx', async () => {
    for (const sql of refused) {
      const { status, body } = await ask(viaChdb, '/sql', { sql });
      expect(status, `${sql}: ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
      expect(status, `${sql}: ${JSON.stringify(body)}`).toBeLessThan(500);
    }
    console.log(`injection: ${refused.length} hostile /sql statements refused`);
  });

  it('reads of the lake and of harmless table functions still run', async () => {
    const { status, body } = await ask(viaChdb, '/sql', { sql: 'SELECT count() AS n FROM numbers(10) WHERE number IN (SELECT toUInt64(count() > 0) FROM lake.otel_logs)' });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.rows).toEqual([{ n: 1 }]);
  });

  it('a `;` hidden in an escaped quote is part of one string, not a second statement', async () => {
    const { status, body } = await ask(viaChdb, '/sql', { sql: "SELECT '\\'; DROP TABLE lake.otel_logs; --' AS s" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.rows).toEqual([{ s: "'; DROP TABLE lake.otel_logs; --" }]);
  });

  it('parameters of /sql are bound too: a hostile value is a string', async () => {
    const { status, body } = await ask(viaChdb, '/sql', { sql: 'SELECT count() AS n FROM lake.otel_logs WHERE Body = {body:String}', params: { body: "' OR 1=1 --" } });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.rows).toEqual([{ n: 0 }]);
  });

  it('after the whole corpus, the lake, the store and their row counts are exactly as before', async () => {
    expect(await fingerprint()).toBe(before);
  });
});
