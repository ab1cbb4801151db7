/**
 * Every service with its credentials set — ingest (HYB_INGEST_TOKEN), the chDB
 * service (HYB_CHDB_TOKEN), the store (clickhouse.password), the router
 * (HYB_DASHBOARD_TOKENS, HYB_ADMIN_TOKENS) — and every protected route called
 * without credentials, with wrong ones, and with the wrong role: all refused.
 * The right credentials are served, and the router reaches the store and the
 * chDB service with the secrets it was given.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from '../support/lake.ts';
import { projectWithConfig, startService, type RunningService } from '../support/services.ts';
import { hybOk } from '../support/stack.ts';

const secrets = {
  HYB_INGEST_TOKEN: 'ingest-token-0123456789',
  HYB_CHDB_TOKEN: 'chdb-token-0123456789',
  HYB_CLICKHOUSE_PASSWORD: 'store-password-0123456789',
  HYB_DASHBOARD_TOKENS: 'dashboard-token-0123456789',
  HYB_ADMIN_TOKENS: 'admin-token-0123456789',
};
const services: RunningService[] = [];
let url: Record<'ingest' | 'chdb' | 'store' | 'router', string>;

beforeAll(async () => {
  const base = { lake: { kind: 'local', path: tempDir('lake') }, store: { path: tempDir('store') }, clickhouse: { password: secrets.HYB_CLICKHOUSE_PASSWORD } };
  const project = projectWithConfig(base);
  hybOk(['compile'], project);
  hybOk(['seed', '--via', 'direct', '--days', '2', '--events', '5000'], project);
  const [store, chdb, ingest] = await Promise.all([
    startService(['store'], project),
    startService(['chdb'], project, { HYB_CHDB_TOKEN: secrets.HYB_CHDB_TOKEN }),
    startService(['ingest'], project, { HYB_INGEST_TOKEN: secrets.HYB_INGEST_TOKEN }),
  ]);
  services.push(store, chdb, ingest);
  // the router's config holds no password: it comes from HYB_CLICKHOUSE_PASSWORD, as a Worker secret would
  const config = (password: string) =>
    writeFileSync(join(project, 'hyb.config.ts'), `import { defineConfig } from './compiler/dsl/index.ts';\nexport default defineConfig(${JSON.stringify({ ...base, clickhouse: { url: store.url, password }, router: { chdbUrl: chdb.url } })});\n`);
  config(secrets.HYB_CLICKHOUSE_PASSWORD);
  hybOk(['migrate'], project);
  hybOk(['sync'], project);
  config('');
  const router = await startService(['router'], project, secrets);
  services.push(router);
  url = { ingest: ingest.url, chdb: chdb.url, store: store.url, router: router.url };
}, 180_000);

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

interface Call {
  readonly name: string;
  readonly url: string;
  readonly method?: string;
  readonly body?: string;
  readonly headers: Record<string, string>;
}

async function status(call: Call): Promise<number> {
  const response = await fetch(call.url, { method: call.method ?? (call.body ? 'POST' : 'GET'), body: call.body, headers: { 'content-type': 'application/json', ...call.headers } });
  await response.arrayBuffer();
  return response.status;
}

it('refuses unauthenticated, wrong and wrong-role calls to every service, and serves the right ones', async () => {
  const log = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), body: { stringValue: 'x' } }] }] }] });
  const query = JSON.stringify({ query: 'top_pages', timeRange: '7d' });
  const sql = JSON.stringify({ sql: 'SELECT 1 AS one' });
  const chdbSql = JSON.stringify({ sql: 'SELECT count() AS n FROM lake.otel_logs' });
  const storeQuery = `${url.store}/?query=${encodeURIComponent('SELECT count() FROM otel_logs')}`;
  const refused: Call[] = [
    ...['logs', 'traces', 'metrics'].flatMap((s) => [
      { name: `ingest /v1/${s}, no token`, url: `${url.ingest}/v1/${s}`, body: log, headers: {} },
      { name: `ingest /v1/${s}, wrong token`, url: `${url.ingest}/v1/${s}`, body: log, headers: bearer(secrets.HYB_CHDB_TOKEN) },
    ]),
    { name: 'chdb /query, no token', url: `${url.chdb}/query`, body: chdbSql, headers: {} },
    { name: 'chdb /query, wrong token', url: `${url.chdb}/query`, body: chdbSql, headers: bearer(secrets.HYB_INGEST_TOKEN) },
    { name: 'store, no password', url: storeQuery, headers: {} },
    { name: 'store, wrong password', url: storeQuery, headers: basic('default', 'guess') },
    { name: 'store, wrong user', url: storeQuery, headers: { 'x-clickhouse-user': 'admin', 'x-clickhouse-key': secrets.HYB_CLICKHOUSE_PASSWORD } },
    { name: 'router /query, no token', url: `${url.router}/query`, body: query, headers: {} },
    { name: 'router /query, wrong token', url: `${url.router}/query`, body: query, headers: bearer(secrets.HYB_CHDB_TOKEN) },
    { name: 'router /queries, no token', url: `${url.router}/queries`, headers: {} },
    { name: 'router /sql, no token', url: `${url.router}/sql`, body: sql, headers: {} },
    { name: 'router /sql, wrong token', url: `${url.router}/sql`, body: sql, headers: bearer('admin-token-012345678') },
    { name: 'router /sql, dashboard role', url: `${url.router}/sql`, body: sql, headers: bearer(secrets.HYB_DASHBOARD_TOKENS) },
  ];
  const served: Call[] = [
    { name: 'ingest /v1/logs', url: `${url.ingest}/v1/logs`, body: log, headers: bearer(secrets.HYB_INGEST_TOKEN) },
    { name: 'chdb /query', url: `${url.chdb}/query`, body: chdbSql, headers: bearer(secrets.HYB_CHDB_TOKEN) },
    { name: 'store', url: storeQuery, headers: basic('default', secrets.HYB_CLICKHOUSE_PASSWORD) },
    { name: 'router /query, dashboard role', url: `${url.router}/query`, body: query, headers: bearer(secrets.HYB_DASHBOARD_TOKENS) },
    { name: 'router /query, admin role', url: `${url.router}/query`, body: query, headers: bearer(secrets.HYB_ADMIN_TOKENS) },
    { name: 'router /sql, admin role', url: `${url.router}/sql`, body: sql, headers: bearer(secrets.HYB_ADMIN_TOKENS) },
  ];
  const wrong: string[] = [];
  for (const call of refused) {
    const code = await status(call);
    if (code !== 401 && code !== 403) wrong.push(`${call.name} → ${code}`);
  }
  for (const call of served) {
    const code = await status(call);
    if (code !== 200) wrong.push(`${call.name} → ${code}`);
  }
  console.log(`security: ${refused.length} unauthenticated, wrong or wrong-role calls; ${served.length} authorized calls; ${wrong.length} answered otherwise`);
  expect(wrong).toEqual([]);

  // the router reaches both backends with the secrets it holds
  for (const via of ['mv', 'chdb']) {
    const response = await fetch(`${url.router}/query`, { method: 'POST', headers: bearer(secrets.HYB_DASHBOARD_TOKENS), body: JSON.stringify({ query: 'top_pages', timeRange: '7d', via }) });
    const body = (await response.json()) as { source: string; rows: unknown[] };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.rows.length).toBeGreaterThan(0);
  }
});
