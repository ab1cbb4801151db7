/**
 * The Worker build of the router under `wrangler dev` (workerd), run from the
 * wrangler config `hyb compile` generates, against the local store and the
 * chDB service: the same answers as the Node build (`hyb serve router`).
 * And the generated client, run in Node and in a Worker of its own, against
 * each build.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { camelCase } from '../compiler/codegen/names.ts';
import { loadConfig } from '../compiler/config.ts';
import { routerTable } from '../generated/router-table.ts';
import { routerSettings } from '../runtime/router/settings.ts';
import { postJson, startService, type RunningService } from './support/services.ts';
import { day, hybOk, Stack } from './support/stack.ts';
import { wranglerDev, type WranglerDev } from '../runtime/dev/wrangler.ts';
import * as queries from '../generated/client.ts';
import { createClient, HybClientError, type HybClient, type QueryOptions, type QueryResult } from '../runtime/client/index.ts';
import { tempDir } from './support/lake.ts';
import { projectRoot } from './support/project.ts';

let stack: Stack;
let node: RunningService;
let worker: WranglerDev;
let clientWorker: WranglerDev;
let userId: string;

beforeAll(async () => {
  stack = await Stack.start({ days: 2, events: 10_000 });
  hybOk(['compile'], stack.project); // the wrangler config now names this store and chDB service
  const clientConfig = join(tempDir('client-worker'), 'wrangler.jsonc');
  writeFileSync(
    clientConfig,
    JSON.stringify({ name: 'hyb-client-test', main: join(projectRoot, 'tests/fixtures/client-worker/index.ts'), compatibility_date: '2026-03-01' }),
  );
  [node, worker, clientWorker] = await Promise.all([
    startService(['router'], stack.project),
    wranglerDev(stack.project, ['generated/router/wrangler.jsonc']),
    wranglerDev(stack.project, [clientConfig]),
  ]);
  const found = await postJson(`${stack.chdb.url}/query`, { sql: "SELECT LogAttributes['user.id'] AS u FROM lake.otel_logs WHERE SeverityText = 'ERROR' LIMIT 1" });
  userId = found.body.data[0].u;
}, 180_000);

afterAll(async () => {
  await Promise.all([clientWorker?.stop(), worker?.stop(), node?.stop(), stack?.stop()]);
});

describe('the router Worker (workerd)', () => {
  it('answers every query with the rows, source and version the Node build gives', async () => {
    for (const [name, entry] of Object.entries(routerTable)) {
      const body = { query: name, timeRange: { from: day(-3), to: day(1) }, params: 'userId' in entry.paramTypes ? { userId } : {} };
      const [fromWorker, fromNode] = await Promise.all([postJson(`${worker.url}/query`, body), postJson(`${node.url}/query`, body)]);
      expect(fromWorker.status, JSON.stringify(fromWorker.body)).toBe(200);
      expect(fromWorker.body.source, `${name}: ${fromWorker.body.meta?.reason}`).toBe('clickhouse');
      expect(fromWorker.body.rows.length).toBeGreaterThan(0);
      expect(fromWorker.body.rows).toEqual(fromNode.body.rows);
      expect(fromWorker.body.meta.mvVersion).toBe(fromNode.body.meta.mvVersion);
    }
  });

  it('falls back to the chDB service alike, and refuses bad parameters alike', async () => {
    const old = { query: 'pageviews_per_day', timeRange: { from: day(-120), to: day(1) } };
    const [w, n] = await Promise.all([postJson(`${worker.url}/query`, old), postJson(`${node.url}/query`, old)]);
    expect(w.body.source, JSON.stringify(w.body)).toBe('chdb');
    expect(w.body.rows).toEqual(n.body.rows);
    expect(w.body.meta.reason).toBe(n.body.meta.reason);
    const bad = await postJson(`${worker.url}/query`, { query: 'errors_for_user', params: { userId: ["'; DROP TABLE x"] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('params.userId');
  });

  it('serves the catalog and health', async () => {
    const { queries } = (await (await fetch(`${worker.url}/queries`)).json()) as { queries: { name: string; mv: { readyOn: string[] } | null }[] };
    expect(queries.map((q) => q.name)).toEqual(Object.keys(routerTable));
    expect(queries.every((q) => q.mv?.readyOn.includes('default'))).toBe(true);
    const health = (await (await fetch(`${worker.url}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
  });

  it('the generated client functions answer as the router does, in Node and in a Worker, against either build', async () => {
    type Generated = (client: HybClient, params: never, options?: QueryOptions) => Promise<QueryResult<unknown>>;
    const functions: Record<string, Generated> = queries;
    const timeRange = { from: day(-3), to: day(1) };
    for (const [name, entry] of Object.entries(routerTable)) {
      const params = 'userId' in entry.paramTypes ? { userId } : {};
      const direct = await postJson(`${node.url}/query`, { query: name, timeRange, params });
      // in Node, against the Worker build
      const inNode = await functions[camelCase(name)]!(createClient({ baseUrl: worker.url }), params as never, { timeRange });
      // in workerd, against the Node build
      const inWorker = await postJson(clientWorker.url, { router: node.url, fn: camelCase(name), params, timeRange });
      expect(inWorker.status, JSON.stringify(inWorker.body)).toBe(200);
      for (const answer of [inNode, inWorker.body as QueryResult<unknown>]) {
        expect(answer.query).toBe(name);
        expect(answer.source, `${name}: ${answer.meta.reason}`).toBe('clickhouse');
        expect(answer.rows).toEqual(direct.body.rows);
      }
      expect(direct.body.rows.length, name).toBeGreaterThan(0);
    }
    // a refused parameter is a HybClientError naming the field, in both places
    const bad = { userId: 42 } as never;
    const thrown = await queries.errorsForUser(createClient({ baseUrl: worker.url }), bad).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(HybClientError);
    expect(thrown).toMatchObject({ status: 400, code: 'BAD_PARAMETER', field: 'params.userId' });
    const inWorker = await postJson(clientWorker.url, { router: node.url, fn: 'errorsForUser', params: bad });
    expect(inWorker.status).toBe(502);
    expect(inWorker.body).toEqual({ name: 'HybClientError', status: 400, code: 'BAD_PARAMETER', field: 'params.userId' });
  });

  // Last: it adds data to the shared lake and store.
  it('finishes what a request starts after answering it: health rechecks and the cache warmed after a sync follow the store', async () => {
    const settings = routerSettings(await loadConfig(stack.project)); // as hyb compile writes them for the Worker, and hyb dev --worker passes them
    const quick = await wranglerDev(stack.project, ['generated/router/wrangler.jsonc'], { args: ['--var', `HYB_ROUTER:${JSON.stringify({ ...settings, healthIntervalSeconds: 1 })}`] });
    try {
      const body = { query: 'top_pages', timeRange: { from: day(-3), to: day(2) } };
      const before = await postJson(`${quick.url}/query`, body);
      expect(before.body.source, JSON.stringify(before.body)).toBe('clickhouse');
      hybOk(['seed', '--via', 'direct', '--days', '1', '--events', '3000', '--seed', '11'], stack.project);
      hybOk(['sync'], stack.project);
      const fresh = await postJson(`${node.url}/query`, { ...body, via: 'chdb' });
      const views = (rows: { views: number }[]) => rows.reduce((sum, r) => sum + r.views, 0);
      expect(views(fresh.body.rows)).toBeGreaterThan(views(before.body.rows));
      // A request past the interval starts a recheck and is answered on the state before it; the
      // recheck, and the warming it starts when it sees the new files, go on in workerd after that
      // answer. So the first answer with the new rows is one the router had already asked for.
      let first: { source: string; meta: { cached: boolean } } | undefined;
      await expect
        .poll(
          async () => {
            const answer = await postJson(`${quick.url}/query`, body);
            if (views(answer.body.rows) > views(before.body.rows)) first ??= answer.body;
            return answer.body.rows;
          },
          { timeout: 15_000, interval: 700 },
        )
        .toEqual(fresh.body.rows);
      expect(first!.source).toBe('clickhouse');
      expect(first!.meta.cached).toBe(true);
    } finally {
      await quick.stop();
    }
  });
});
