/**
 * The dashboard page in headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against a running stack: `hyb serve router` serving the
 * page, the store synced, the chDB service. Every panel shows data through
 * its generated hook, a range switch refetches, and with the store killed
 * every panel still shows data, marked as served by chDB. Screenshots go to
 * test-results/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from './support/project.ts';
import { postJson, startService, type RunningService } from './support/services.ts';
import { Stack } from './support/stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artefacts = join(projectRoot, 'test-results');

let stack: Stack;
let router: RunningService;
let browser: Browser;
let page: Page;
let queryNames: string[];
let userId: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  stack = await Stack.start({ days: 3, events: 20_000 });
  stack.configure({ clickhouse: { url: stack.store.url }, router: { chdbUrl: stack.chdb.url, healthIntervalSeconds: 1 } });
  router = await startService(['router'], stack.project);
  queryNames = ((await (await fetch(`${router.url}/queries`)).json()) as { queries: { name: string }[] }).queries.map((q) => q.name);
  const found = await postJson(`${stack.chdb.url}/query`, { sql: "SELECT LogAttributes['user.id'] AS u FROM lake.otel_logs WHERE SeverityText = 'ERROR' LIMIT 1" });
  userId = found.body.data[0].u;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  mkdirSync(artefacts, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await router?.stop();
  await stack?.stop();
});

interface PanelState {
  readonly name: string;
  readonly source: string;
  readonly rows: number;
  readonly state: string;
}

const panels = (): Promise<PanelState[]> =>
  page.$$eval('[data-panel]', (els) =>
    els.map((e) => {
      const d = (e as HTMLElement).dataset;
      return { name: d.panel!, source: d.source!, rows: Number(d.rows || 0), state: d.state! };
    }),
  );

/** Waits until every panel has rows from `source`, or times out showing the last state. */
async function everyPanelFrom(source: string, timeoutMs = 30_000): Promise<PanelState[]> {
  const until = Date.now() + timeoutMs;
  let last = await panels();
  while (Date.now() < until) {
    if (last.length === queryNames.length && last.every((p) => p.source === source && p.rows > 0)) return last;
    await page.waitForTimeout(200);
    last = await panels();
  }
  return last;
}

describe('dashboard page', () => {
  it('loads with one panel per compiled query, each showing MV data with its latency and staleness', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${router.url}/`);
    await page.waitForSelector('[data-panel]');
    // a query with a required parameter waits for it
    await page.fill('[data-panel="errors_for_user"] input[name="userId"]', userId);
    const state = await everyPanelFrom('clickhouse');
    expect(state.map((p) => p.name).sort()).toEqual([...queryNames].sort());
    expect(state.filter((p) => p.source !== 'clickhouse' || p.rows === 0), JSON.stringify(state)).toEqual([]);
    const badge = await page.textContent('[data-panel="top_pages"] .badge');
    expect(badge).toMatch(/^MV · \d+\.\d ms · \d+ s stale( · cached)?$/);
    expect(await page.$$('[data-panel="errors_per_hour"] svg polyline')).not.toHaveLength(0);
    expect(await page.$$('[data-panel="top_pages"] tbody tr')).not.toHaveLength(0);
    // a ratio() measure shows as a percentage, a count as it is
    expect(await page.textContent('[data-panel="bounce_rate"] thead th:nth-child(4)')).toBe('bounceRate');
    const rates = await page.$$eval('[data-panel="bounce_rate"] tbody td:nth-child(4)', (cells) => cells.map((c) => c.textContent ?? ''));
    expect(rates.length).toBeGreaterThan(0);
    for (const rate of rates) expect(rate).toMatch(/^\d{1,3}(\.\d+)?%$/);
    expect(await page.textContent('[data-panel="bounce_rate"] tbody tr:first-child td:nth-child(2)')).toMatch(/^\d+$/);
    // one number over the range is a figure, not a one-cell table
    expect(await page.textContent('[data-panel="unique_visitors"] .figure')).toMatch(/^\d+visitors$/);
    expect(await page.$$('[data-panel="unique_visitors"] table')).toHaveLength(0);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(artefacts, 'dashboard.png'), fullPage: true });
  }, 60_000);

  it('refetches every panel when the range changes', async () => {
    const asked = new Set<string>();
    const onRequest = (request: import('playwright-core').Request) => {
      if (!request.url().endsWith('/query') || request.method() !== 'POST') return;
      const body = JSON.parse(request.postData() ?? '{}') as { query: string; timeRange: string };
      if (body.timeRange === '30d') asked.add(body.query);
    };
    page.on('request', onRequest);
    await page.click('nav button:text-is("30d")');
    const state = await everyPanelFrom('clickhouse');
    page.off('request', onRequest);
    expect([...asked].sort()).toEqual([...queryNames].sort());
    expect(state.filter((p) => p.rows === 0)).toEqual([]);
    expect(await page.getAttribute('nav button:text-is("30d")', 'aria-pressed')).toBe('true');
  }, 60_000);

  it('with the store killed, every panel still shows data, marked as served by chDB', async () => {
    await stack.killStore();
    await page.click('nav button:text-is("7d")');
    const state = await everyPanelFrom('chdb', 60_000);
    expect(state.filter((p) => p.source !== 'chdb' || p.rows === 0), JSON.stringify(state)).toEqual([]);
    expect(await page.textContent('[data-panel="top_pages"] .badge')).toMatch(/^chDB · \d+\.\d ms$/);
    await page.screenshot({ path: join(artefacts, 'dashboard-chdb.png'), fullPage: true });
  }, 90_000);
});
