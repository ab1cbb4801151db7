/**
 * The router in-process (`app.request()`), against a real stack: the local
 * store migrated and synced, and the chDB service over the same lake. Every
 * route decision — healthy, unhealthy, no MV, range outside coverage, stale
 * MV, MV error mid-request — and the same rows whichever path answers.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerTable } from '../generated/router-table.ts';
import { routerApp, type RouterApp, type RouterEntry, type RouterOptions } from '../runtime/router/app.ts';
import { Limit } from '../runtime/router/cache.ts';
import { expectSameObjects } from './support/compare.ts';
import { postJson } from './support/services.ts';
import { day, hybOk, Stack } from './support/stack.ts';

let stack: Stack;
let userId: string;
const table = routerTable as unknown as Record<string, RouterEntry>;
const apps: RouterApp[] = [];

beforeAll(async () => {
  stack = await Stack.start({ days: 3, events: 20_000 });
  const found = await postJson(`${stack.chdb.url}/query`, { sql: "SELECT LogAttributes['user.id'] AS u FROM lake.otel_logs WHERE SeverityText = 'ERROR' LIMIT 1" });
  userId = found.body.data[0].u;
}, 180_000);

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await stack?.stop();
});

function router(overrides: Partial<RouterOptions> = {}): RouterApp {
  const app = routerApp({
    table,
    endpoints: [{ name: 'local', url: stack.store.url }],
    chdb: { url: stack.chdb.url },
    healthIntervalSeconds: 30,
    maxStalenessSeconds: 900,
    ...overrides,
  });
  apps.push(app);
  return app;
}

async function ask(app: RouterApp, body: unknown, headers: Record<string, string> = {}) {
  const response = await app.request('/query', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

/** A real HTTP hop in front of `target` that holds each request `ms` before passing it on. */
async function delayingProxy(target: string, ms: number) {
  let requests = 0;
  const server = createServer(async (request, response) => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    await new Promise((r) => setTimeout(r, ms));
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => k !== 'host' && k !== 'connection')) as Record<string, string>;
    const answer = await fetch(new URL(request.url!, target), { method: request.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    // fetch has decoded the body, so its encoding and length headers no longer apply
    const passed: Record<string, string> = {};
    answer.headers.forEach((value, key) => {
      if (!['content-encoding', 'content-length', 'transfer-encoding'].includes(key)) passed[key] = value;
    });
    response.writeHead(answer.status, passed);
    response.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const paramsFor = (entry: RouterEntry) => ('userId' in entry.paramTypes ? { userId } : {});
const floats = (entry: RouterEntry) => new Set(entry.columns.filter((c) => c.type.includes('Float')).map((c) => c.name));

describe('warming limit', () => {
  it('runs at most its size of loads at once, the rest in turn, and passes on results and failures', async () => {
    const limit = new Limit(2);
    let running = 0;
    let most = 0;
    const load = (i: number) => async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      if (i === 3) throw new Error('three');
      return i;
    };
    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((i) => limit.run(load(i))));
    expect(most).toBe(2);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([0, 1, 2, 'three', 4, 5]);
    expect(await limit.run(async () => running)).toBe(0); // every slot given back, a failure's too
  });
});

describe('router decisions', () => {
  it('answers every query from the MV when ClickHouse is healthy and covers the range, with the rows chDB gives', async () => {
    const mvRouter = router();
    const lakeOnly = router({ endpoints: [] });
    for (const entry of Object.values(table)) {
      const request = { query: entry.name, timeRange: '7d', params: paramsFor(entry) };
      const mv = await ask(mvRouter, request);
      const lake = await ask(lakeOnly, request);
      expect(mv.status, JSON.stringify(mv.body)).toBe(200);
      expect(mv.body.source, `${entry.name}: ${mv.body.meta?.reason}`).toBe('clickhouse');
      expect(mv.body.meta).toMatchObject({ mvVersion: entry.version, reason: null, endpoint: 'local' });
      expect(Date.parse(mv.body.meta.syncedUntil)).toBeGreaterThan(Date.now() - 600_000);
      expect(lake.body.source).toBe('chdb');
      expect(lake.body.meta).toMatchObject({ mvVersion: null, syncedUntil: null, reason: 'no ClickHouse endpoint configured' });
      expect(mv.body.rows.length, `${entry.name} has rows`).toBeGreaterThan(0);
      expectSameObjects(mv.body.rows, lake.body.rows, floats(entry));
    }
  });

  it('normalizes both paths to one shape: 64-bit integers as numbers, times as ISO 8601 UTC', async () => {
    const { body } = await ask(router(), { query: 'errors_per_hour', timeRange: '7d' });
    const row = body.rows[0];
    expect(typeof row.errors).toBe('number');
    expect(row.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/);
  });

  it('falls back to chDB when ClickHouse is unreachable, saying why', async () => {
    const app = router({ endpoints: [{ name: 'gone', url: 'http://127.0.0.1:9' }] });
    const { status, body } = await ask(app, { query: 'top_pages', timeRange: '7d' });
    expect(status).toBe(200);
    expect(body.source).toBe('chdb');
    expect(body.meta.reason).toMatch(/^ClickHouse unhealthy: /);
    expect(body.rows.length).toBeGreaterThan(0);
  });

  it('falls back when the metric has no ready MV version', async () => {
    const entry = table.top_pages!;
    const app = router({ table: { ...table, top_pages: { ...entry, target: 'hyb_top_pages_00000000', version: '00000000' } } });
    const { body } = await ask(app, { query: 'top_pages', timeRange: '7d' });
    expect(body.source).toBe('chdb');
    expect(body.meta.reason).toBe('MV hyb_top_pages_00000000 is not ready');
  });

  it('falls back when the range starts before the rollup retention', async () => {
    const from = `${day(-120)}T00:00:00Z`;
    const { body } = await ask(router(), { query: 'pageviews_per_day', timeRange: { from, to: `${day(1)}T00:00:00Z` } });
    expect(body.source).toBe('chdb');
    expect(body.meta.reason).toBe("range starts before the MV's 90-day retention");
    expect(body.rows.length).toBeGreaterThan(0);
  });

  it('falls back when the MV trails the lake more than the metric allows, unless the range ended before the last sync', async () => {
    const entry = table.errors_per_hour!;
    const strict = router({ table: { ...table, errors_per_hour: { ...entry, coverage: { ...entry.coverage, maxStalenessSeconds: 0.001 } } } });
    await new Promise((r) => setTimeout(r, 50));
    const recent = await ask(strict, { query: 'errors_per_hour', timeRange: '7d' });
    expect(recent.body.source).toBe('chdb');
    expect(recent.body.meta.reason).toMatch(/^MV is \d+ s behind the lake \(allowance 0\.001 s\)$/);
    // a range that ended before the last sync is complete in the MV however old the sync
    const past = await ask(strict, { query: 'errors_per_hour', timeRange: { from: day(-3), to: day(-1) } });
    expect(past.body.source).toBe('clickhouse');
    expect(past.body.meta.staleness).toBeGreaterThanOrEqual(0);
  });

  it('answers from chDB when the MV query fails mid-request, and marks ClickHouse down at once', async () => {
    const app = router({ mvCacheEntries: 0 }); // a cached answer would not need the store
    expect((await ask(app, { query: 'top_errors', timeRange: '7d' })).body.source).toBe('clickhouse');
    await stack.store.stop(); // health was checked a moment ago and is cached for 30 s
    try {
      const during = await ask(app, { query: 'top_errors', timeRange: '7d' });
      expect(during.status).toBe(200);
      expect(during.body.source).toBe('chdb');
      expect(during.body.meta.reason).toMatch(/^MV query failed on local: /);
      const next = await ask(app, { query: 'top_errors', timeRange: '7d' });
      expect(next.body.meta.reason).toMatch(/^ClickHouse unhealthy: /);
    } finally {
      await stack.restartStore();
    }
    // after the restart a fresh health check finds it again
    const healed = router({ healthIntervalSeconds: 0.001 });
    const after = await ask(healed, { query: 'top_errors', timeRange: '7d' });
    expect(after.body.source, after.body.meta.reason).toBe('clickhouse');
  });

  it('prefers the endpoint with the lower preference, then the healthy one', async () => {
    const app = router({
      endpoints: [
        { name: 'far', url: stack.store.url, preference: 2 },
        { name: 'near', url: stack.store.url, preference: 1 },
        { name: 'nearest-but-down', url: 'http://127.0.0.1:9', preference: 0 },
      ],
    });
    const { body } = await ask(app, { query: 'unique_visitors', timeRange: '7d' });
    expect(body.source).toBe('clickhouse');
    expect(body.meta.endpoint).toBe('near');
    const health = await (await app.request('/health')).json();
    expect(health.clickhouse.map((e: { name: string; healthy: boolean }) => [e.name, e.healthy])).toEqual([
      ['near', true],
      ['far', true],
      ['nearest-but-down', false],
    ]);
  });

  it('between endpoints of equal preference, takes the one whose health check answered sooner', async () => {
    // the same store, once directly and once behind a loopback proxy that holds each request 80 ms
    const slow = await delayingProxy(stack.store.url, 80);
    try {
      for (const order of [['slow', 'fast'], ['fast', 'slow']]) {
        const urls: Record<string, string> = { slow: slow.url, fast: stack.store.url };
        const app = router({ endpoints: order.map((name) => ({ name, url: urls[name]!, preference: 1 })) });
        const { body } = await ask(app, { query: 'top_pages', timeRange: '7d' });
        expect(body.source).toBe('clickhouse');
        expect(body.meta.endpoint, `listed ${order.join(', ')}`).toBe('fast');
        const health = await (await app.request('/health')).json();
        const latency = Object.fromEntries(health.clickhouse.map((e: { name: string; latencyMs: number }) => [e.name, e.latencyMs]));
        expect(latency.slow).toBeGreaterThanOrEqual(80);
        expect(latency.fast).toBeLessThan(latency.slow);
      }
      expect(slow.requests()).toBeGreaterThan(0);
    } finally {
      await slow.close();
    }
  });
});

describe('router requests', () => {
  it('refuses bad input with a 400 naming the field', async () => {
    const app = router();
    const cases: [unknown, string][] = [
      [{ timeRange: '7d' }, 'query'],
      [{ query: 'nope' }, 'query'],
      [{ query: 'top_pages', timeRange: 'last week' }, 'timeRange'],
      [{ query: 'top_pages', timeRange: { from: '2026-01-02', to: '2026-01-01' } }, 'timeRange.to'],
      [{ query: 'top_pages', timeRange: { from: 'yesterday', to: '2026-01-01' } }, 'timeRange.from'],
      [{ query: 'errors_for_user', params: {} }, 'params.userId'],
      [{ query: 'errors_for_user', params: { userId: 42 } }, 'params.userId'],
      [{ query: 'top_pages', params: { sneaky: "' OR 1=1" } }, 'params.sneaky'],
      [{ query: 'top_pages', extra: 1 }, 'extra'],
      [{ query: 'top_pages', via: 'duckdb' }, 'via'],
    ];
    for (const [body, field] of cases) {
      const answer = await ask(app, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.field, JSON.stringify(answer.body)).toBe(field);
    }
    const notJson = await app.request('/query', { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.field).toBe('body');
  });

  it('forces a path on request: via chdb skips a healthy MV, via mv answers from the MV or says why not', async () => {
    const app = router();
    const chdb = await ask(app, { query: 'top_pages', timeRange: '7d', via: 'chdb' });
    expect(chdb.body).toMatchObject({ source: 'chdb', meta: { reason: 'requested via chdb', endpoint: null } });
    const mv = await ask(app, { query: 'top_pages', timeRange: '7d', via: 'mv' });
    expect(mv.body).toMatchObject({ source: 'clickhouse', meta: { endpoint: 'local' } });
    expectSameObjects(mv.body.rows, chdb.body.rows, new Set());
    const rawOnly = Object.values(table).find((e) => !e.mvQuery);
    const refused = await ask(router({ endpoints: [] }), { query: rawOnly?.name ?? 'top_pages', timeRange: '7d', via: 'mv' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'MV_UNAVAILABLE', field: 'via' });
  });

  it('lists the catalog with parameters, columns and where each MV is ready', async () => {
    const { queries } = await (await router().request('/queries')).json();
    expect(queries.map((q: { name: string }) => q.name).sort()).toEqual(Object.keys(table).sort());
    const errorsForUser = queries.find((q: { name: string }) => q.name === 'errors_for_user');
    expect(errorsForUser.params).toEqual([{ name: 'userId', type: 'String', required: true }]);
    expect(errorsForUser.mv).toEqual({ version: table.errors_for_user!.version, readyOn: ['local'] });
    // a ratio() measure says so, for a page to show it as a percentage
    const bounceRate = queries.find((q: { name: string }) => q.name === 'bounce_rate');
    expect(bounceRate.columns.filter((c: { format?: string }) => c.format === 'ratio').map((c: { name: string }) => c.name)).toEqual(['bounceRate']);
  });

  it('reports health per ClickHouse endpoint, the chDB service, sync lag and the MV answer cache', async () => {
    const app = router();
    const health = await (await app.request('/health')).json();
    expect(health.status).toBe('ok');
    expect(health.chdb).toMatchObject({ ok: true, sources: expect.arrayContaining(['otel_logs', 'otel_traces']) });
    expect(health.clickhouse[0]).toMatchObject({ name: 'local', healthy: true, readyMvs: Object.keys(table).length });
    expect(health.clickhouse[0].sync.otel_logs.syncedUntil).toMatch(/Z$/);
    expect(health.mvCache).toEqual({ entries: 0, capacity: 1000, hits: 0, loads: 0 });
    // two questions, one of them asked three times; a chDB answer is not an MV answer
    for (const query of ['top_pages', 'top_pages', 'unique_visitors', 'top_pages']) expect((await ask(app, { query, timeRange: '7d' })).body.source).toBe('clickhouse');
    await ask(app, { query: 'top_pages', timeRange: '7d', via: 'chdb' });
    expect((await (await app.request('/health')).json()).mvCache).toEqual({ entries: 2, capacity: 1000, hits: 2, loads: 2 });
  });

  it('guards routes with dashboard and admin bearer tokens', async () => {
    const app = router({ tokens: { dashboard: ['dash-token-0123456789'], admin: ['admin-token-0123456789'] } });
    const body = { query: 'top_pages' };
    expect((await ask(app, body)).status).toBe(401);
    expect((await ask(app, body, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await ask(app, body, { authorization: 'Bearer dash-token-0123456789' })).status).toBe(200);
    expect((await ask(app, body, { authorization: 'Bearer admin-token-0123456789' })).status).toBe(200);
    const sql = (token?: string) =>
      app.request('/sql', { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ sql: 'SELECT 1 AS one' }) });
    expect((await sql()).status).toBe(401);
    expect((await sql('dash-token-0123456789')).status).toBe(403);
    const admin = await sql('admin-token-0123456789');
    expect(admin.status).toBe(200);
    expect((await admin.json()).rows).toEqual([{ one: 1 }]);
    // no admin token configured: /sql is closed to everyone
    expect((await router().request('/sql', { method: 'POST', body: '{"sql":"SELECT 1"}' })).status).toBe(403);
  });

  it('answers CORS preflights for configured origins only', async () => {
    const app = router({ corsOrigins: ['https://dash.example'] });
    const preflight = (origin: string) => app.request('/query', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect((await preflight('https://dash.example')).headers.get('access-control-allow-origin')).toBe('https://dash.example');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('runs ad-hoc SQL for admins: JOINs and window functions, one read-only SELECT only', async () => {
    const app = router({ tokens: { admin: ['admin-token-0123456789'] } });
    const sql = async (text: string, params: Record<string, unknown> = {}) => {
      const response = await app.request('/sql', { method: 'POST', headers: { authorization: 'Bearer admin-token-0123456789' }, body: JSON.stringify({ sql: text, params }) });
      return { status: response.status, body: (await response.json()) as any };
    };
    const window = await sql(
      "SELECT l.ServiceName AS service, count() AS n, any(t.spans) AS spans, row_number() OVER (ORDER BY count() DESC) AS rank FROM lake.otel_logs AS l LEFT JOIN (SELECT ServiceName, count() AS spans FROM lake.otel_traces GROUP BY ServiceName) AS t ON l.ServiceName = t.ServiceName WHERE l.Timestamp >= {since:DateTime64(3, 'UTC')} GROUP BY service ORDER BY rank",
      { since: `${day(-7)} 00:00:00.000` },
    );
    expect(window.status, JSON.stringify(window.body)).toBe(200);
    expect(window.body.columns.map((c: { name: string }) => c.name)).toEqual(['service', 'n', 'spans', 'rank']);
    expect(window.body.rows.length, JSON.stringify(window.body)).toBeGreaterThan(0);
    expect(typeof window.body.rows[0].n).toBe('number');
    for (const bad of ['DROP TABLE lake.otel_logs', 'SELECT 1; SELECT 2', "INSERT INTO FUNCTION file('x.csv') SELECT 1", 'SELECT 1 INTO OUTFILE \'x\'', 'SELECT 1 FORMAT TSV']) {
      const answer = await sql(bad);
      expect(answer.status, bad).toBeGreaterThanOrEqual(400);
      expect(answer.status, bad).toBeLessThan(500);
    }
  });

  it('shares one chDB query among identical requests in flight, so an outage costs one query per question', async () => {
    let lakeCalls = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input).startsWith(stack.chdb.url) && String(input).endsWith('/query')) lakeCalls += 1;
      return fetch(input, init);
    };
    const app = router({ endpoints: [], fetch: counting });
    const answers = await Promise.all(Array.from({ length: 20 }, () => ask(app, { query: 'errors_per_hour', timeRange: '7d' })));
    expect(answers.every((a) => a.status === 200 && a.body.source === 'chdb')).toBe(true);
    expect(new Set(answers.map((a) => JSON.stringify(a.body.rows))).size).toBe(1);
    expect(lakeCalls).toBe(1);
    // other questions are other queries; after it settles, nothing is kept
    await Promise.all([ask(app, { query: 'errors_per_hour', timeRange: '3d' }), ask(app, { query: 'top_pages', timeRange: '7d' })]);
    await ask(app, { query: 'errors_per_hour', timeRange: '7d' });
    expect(lakeCalls).toBe(4);
  });

  // Last in the file: it adds data to the shared lake and store.
  it('keeps MV answers until a sync loads rows: same range buckets answer from the cache across a pass that finds nothing new; a sync with new files answers anew, asked again before the next viewer', async () => {
    const app = router();
    const request = { query: 'top_pages', timeRange: '7d' };
    const first = await ask(app, request);
    const second = await ask(app, { ...request, params: {} });
    expect(first.body.meta.cached).toBe(false);
    expect(second.body.meta).toMatchObject({ cached: true, syncedUntil: first.body.meta.syncedUntil });
    expect(second.body.rows).toEqual(first.body.rows);
    // another range bucket is another answer
    expect((await ask(app, { query: 'top_pages', timeRange: '6d' })).body.meta.cached).toBe(false);
    // turned off: never cached
    const uncached = router({ mvCacheEntries: 0 });
    await ask(uncached, request);
    expect((await ask(uncached, request)).body.meta.cached).toBe(false);

    // a check can time out (2 s) while the store merges what a sync loaded on cores other test files share
    const recheck = () =>
      expect
        .poll(async () => {
          await app.endpoints[0]!.refresh();
          return app.endpoints[0]!.health.healthy;
        }, { timeout: 20_000, interval: 500 })
        .toBe(true);

    // a pass with nothing new: the MV is synced later, its rows are the same, and so is the answer
    hybOk(['sync'], stack.project);
    await recheck();
    const idle = await ask(app, request);
    expect(idle.body.meta.cached).toBe(true);
    expect(Date.parse(idle.body.meta.syncedUntil)).toBeGreaterThan(Date.parse(first.body.meta.syncedUntil));
    expect(idle.body.rows).toEqual(first.body.rows);

    // more events in the lake, synced: the next health check sees the new files, and the router asks
    // the questions of lately again (warms its cache), so the next viewer gets the new answer from the cache
    hybOk(['seed', '--via', 'direct', '--days', '1', '--events', '3000', '--seed', '7'], stack.project);
    hybOk(['sync'], stack.project);
    await recheck();
    await app.settled();
    const after = await ask(app, request);
    expect(after.body.source).toBe('clickhouse');
    expect(after.body.meta.cached).toBe(true);
    // a question not asked before the sync is not warmed
    expect((await ask(app, { query: 'top_pages', timeRange: '5d' })).body.meta.cached).toBe(false);
    expect(Date.parse(after.body.meta.syncedUntil)).toBeGreaterThan(Date.parse(first.body.meta.syncedUntil));
    const views = (rows: { views: number }[]) => rows.reduce((sum, r) => sum + r.views, 0);
    expect(views(after.body.rows)).toBeGreaterThan(views(first.body.rows));
    const lake = await ask(router({ endpoints: [] }), request);
    expectSameObjects(after.body.rows, lake.body.rows, new Set());
  });
});
