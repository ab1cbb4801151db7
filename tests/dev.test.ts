/**
 * `hyb dev` as a user runs it, in a scratch project on free ports: it seeds
 * the empty lake, starts every part, and prints where they are; `hyb query`
 * answers through it; a new metric file appears without a restart; Ctrl-C
 * stops everything after ingest flushed what it acknowledged. Then the same
 * with --worker: the router under wrangler dev, the page as static assets.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../runtime/dev/wrangler.ts';
import { tempDir } from './support/lake.ts';
import { hyb, hybBackground } from './support/project.ts';
import { postJson, projectWithConfig, startService } from './support/services.ts';

interface Dev {
  readonly project: string;
  readonly child: ChildProcess;
  readonly ports: Record<'router' | 'ingest' | 'chdb' | 'store', number>;
  readonly log: () => string;
  /** Resolves when the log matches `pattern` after position `from`. */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<void>;
}

/** `hyb dev` on free ports: given in hyb.config.ts, or with `viaFlags` as --port-* and --lake flags over a config without them. */
async function startDev(flags: readonly string[] = [], viaFlags = false): Promise<Dev & { lake: string }> {
  const ports = { router: await freePort(), ingest: await freePort(), chdb: await freePort(), store: await freePort() };
  const lake = tempDir('lake');
  const project = viaFlags
    ? projectWithConfig({ store: { path: tempDir('store') } })
    : projectWithConfig({ lake: { kind: 'local', path: lake }, store: { path: tempDir('store') }, ports });
  const portFlags = viaFlags ? [...Object.entries(ports).flatMap(([part, port]) => [`--port-${part}`, String(port)]), '--lake', lake] : [];
  const child = hybBackground(['dev', '--days', '3', '--events', '20000', '--sync-every', '2', ...portFlags, ...flags], project);
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const waitFor = (pattern: RegExp, timeoutMs = 180_000, from = 0) =>
    new Promise<void>((resolve, reject) => {
      const check = () => pattern.test(log.slice(from));
      if (check()) return resolve();
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in hyb dev's output:\n${log}`)), timeoutMs);
      const onData = () => check() && (clearTimeout(timer), child.stderr!.off('data', onData), resolve());
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`hyb dev exited with ${code}:\n${log}`)));
    });
  const dev = { project, child, ports, lake, log: () => log, waitFor };
  await waitFor(/hyb dev: ready/);
  return dev;
}

/** SIGINT, as Ctrl-C; resolves with the exit code. */
function interrupt(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

const refused = async (url: string) => fetch(url).then(() => false, () => true);

describe('hyb dev', () => {
  let dev: Dev;
  const router = () => `http://127.0.0.1:${dev.ports.router}`;
  const marker = `hyb-dev-test-${Date.now()}`;

  beforeAll(async () => {
    dev = await startDev();
  }, 240_000);

  afterAll(async () => {
    if (dev && dev.child.exitCode === null) await interrupt(dev.child);
  });

  it('seeds the empty lake, starts every part and prints where each one is', async () => {
    expect(dev.log()).toMatch(/the lake at .* is empty; seeding 3 days/);
    for (const [name, port] of [['dashboard', dev.ports.router], ['ingest', dev.ports.ingest], ['chDB', dev.ports.chdb], ['ClickHouse', dev.ports.store]] as const) {
      expect(dev.log()).toMatch(new RegExp(`${name}\\s+http://127\\.0\\.0\\.1:${port}`));
    }
    const health = await (await fetch(`${router()}/health`)).json();
    expect(health.status).toBe('ok');
    const answer = await postJson(`${router()}/query`, { query: 'top_pages', timeRange: '7d' });
    expect(answer.body.source).toBe('clickhouse');
    expect(answer.body.rows.length).toBeGreaterThan(0);
    const page = await fetch(`${router()}/`);
    expect(await page.text()).toContain('<script type="module" src="/dashboard.js">');
  });

  it('hyb query prints rows and where they came from; bad input names the field', async () => {
    const mv = hyb(['query', 'top_pages', '--range', '7d'], dev.project);
    expect(mv.status, mv.stderr).toBe(0);
    expect(mv.stdout.split('\n')[0]).toMatch(/^page\s+views\s+visitors$/);
    expect(mv.stderr).toMatch(/rows? in [\d.]+ ms from the ClickHouse MV \(version \w+ on default/);
    const lake = hyb(['query', 'top_pages', '--range', '7d', '--via', 'chdb', '--json'], dev.project);
    expect(lake.status, lake.stderr).toBe(0);
    const parsed = JSON.parse(lake.stdout);
    expect(parsed.source).toBe('chdb');
    expect(parsed.rows).toEqual(JSON.parse(hyb(['query', 'top_pages', '--range', '7d', '--via', 'mv', '--json'], dev.project).stdout).rows);
    const bad = hyb(['query', 'errors_for_user', '--param', 'userId=u1', '--param', 'colour=blue'], dev.project);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('params.colour: unknown parameter');
    const unknown = hyb(['query', 'nope'], dev.project);
    expect(unknown.stderr).toMatch(/NAME: no query named 'nope'/);
  });

  it('accepts OTLP on the ingest port', async () => {
    const body = { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'dev-test' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: String(Date.now() * 1e6), severityText: 'INFO', body: { stringValue: marker } }] }] }] };
    const answer = await postJson(`http://127.0.0.1:${dev.ports.ingest}/v1/logs`, body);
    expect(answer.status).toBe(200);
  });

  it('a broken metric file gets a diagnostic with its path and line, and the stack keeps serving', async () => {
    const from = dev.log().length;
    writeFileSync(join(dev.project, 'metrics/broken.ts'), "import { count, defineMetric, logs } from '../compiler/dsl/index.ts';\n\nexport const broken = defineMetric({\n  source: logs,\n  grain: 'fortnight',\n  measures: { n: count() },\n});\n");
    await dev.waitFor(/hyb dev: fix the errors above; the running stack is unchanged/, 60_000, from);
    expect(dev.log().slice(from)).toMatch(/metrics\/broken\.ts:\d+:\d+/);
    expect((await postJson(`${router()}/query`, { query: 'top_pages', timeRange: '7d' })).status).toBe(200);
    const removed = dev.log().length;
    rmSync(join(dev.project, 'metrics/broken.ts'));
    await dev.waitFor(/hyb dev: up to date/, 60_000, removed); // the fixed state compiles again
  }, 120_000);

  it('a new metric file compiles, migrates and is served without a restart', async () => {
    const from = dev.log().length;
    writeFileSync(
      join(dev.project, 'metrics/checkout.ts'),
      "import { count, defineMetric, logs } from '../compiler/dsl/index.ts';\n\nexport const checkoutViews = defineMetric({\n  description: 'Checkout page views per hour',\n  source: logs,\n  grain: 'hour',\n  where: [logs.col('EventName').eq('browser.page_view')],\n  measures: { views: count() },\n});\n" +
        // an attribute no metric read before: promoted by this compile, a column the lake does not have yet
        "\nexport const errorMessages = defineMetric({\n  source: logs,\n  where: [logs.col('SeverityText').eq('ERROR')],\n  dimensions: { message: logs.attr('exception.message') },\n  measures: { errors: count() },\n  orderBy: [['errors', 'desc']],\n});\n",
    );
    await dev.waitFor(/hyb dev: up to date/, 120_000, from);
    const { queries } = await (await fetch(`${router()}/queries`)).json();
    expect(queries.map((q: { name: string }) => q.name)).toContain('checkout_views');
    const answer = await postJson(`${router()}/query`, { query: 'checkout_views', timeRange: '7d' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.source, answer.body.meta?.reason).toBe('clickhouse'); // backfilled from what was synced
    expect(answer.body.rows.length).toBeGreaterThan(0);
    expect(await (await fetch(`${router()}/dashboard.js`)).text()).toContain('checkout_views');
    // The running chDB service remakes its lake views for the newly promoted attribute
    // (read from the maps: no file has its column yet) and agrees with the backfilled MV.
    expect(readFileSync(join(dev.project, 'generated/lake/attributes.json'), 'utf8')).toContain('exception.message');
    const [viaLake, viaMv] = await Promise.all(['chdb', 'mv'].map((via) => postJson(`${router()}/query`, { query: 'error_messages', timeRange: '7d', via })));
    expect(viaLake!.status, JSON.stringify(viaLake!.body)).toBe(200);
    expect(viaLake!.body.source).toBe('chdb');
    expect(viaMv!.body.source).toBe('clickhouse');
    expect(viaLake!.body.rows.length).toBeGreaterThan(0);
    expect(viaLake!.body.rows).toEqual(viaMv!.body.rows);
  }, 150_000);

  it('Ctrl-C stops every part, and what ingest acknowledged is in the lake', async () => {
    expect(await interrupt(dev.child)).toBe(0);
    expect(dev.log()).toContain('hyb dev: stopped');
    for (const [name, port] of Object.entries(dev.ports)) expect(await refused(`http://127.0.0.1:${port}/`), `${name} still answers:\n${dev.log()}`).toBe(true);
    const chdb = await startService(['chdb'], dev.project);
    try {
      const found = await postJson(`${chdb.url}/query`, { sql: 'SELECT count() AS n FROM lake.otel_logs WHERE Body = {marker:String}', params: { marker } });
      expect(found.body.data).toEqual([{ n: 1 }]);
    } finally {
      await chdb.stop();
    }
  }, 60_000);
});

describe('hyb dev --worker', () => {
  it('runs the router under wrangler dev with the dashboard as static assets; ports and lake from flags', async () => {
    const dev = await startDev(['--worker'], true);
    try {
      expect(dev.log()).toContain('the Worker under wrangler dev');
      expect(existsSync(join(dev.lake, 'otel_logs/metadata')), 'seeded into the --lake folder').toBe(true);
      for (const port of Object.values(dev.ports)) expect(dev.log()).toContain(`http://127.0.0.1:${port}`);
      const url = `http://127.0.0.1:${dev.ports.router}`;
      const answer = await postJson(`${url}/query`, { query: 'top_pages', timeRange: '7d' });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.source).toBe('clickhouse');
      expect(await (await fetch(`${url}/`)).text()).toContain('/dashboard.js');
      expect((await fetch(`${url}/dashboard.js`)).status).toBe(200);
    } finally {
      expect(await interrupt(dev.child)).toBe(0);
    }
  }, 300_000);
});
