/**
 * Failover under load: 200 requests/s for 60 s, open loop (each request sent
 * on schedule whatever the others are doing), through `hyb serve router` on
 * loopback, while the store is SIGKILLed at 15 s and restarted at 25 s. Not
 * one request may fail.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postJson, startService, type RunningService } from '../support/services.ts';
import { Stack } from '../support/stack.ts';

const RATE = 200;
const SECONDS = 60;
const QUERIES = ['errors_per_hour', 'top_pages', 'pageviews_per_day', 'unique_visitors', 'api_latency', 'top_errors'];

let stack: Stack;
let router: RunningService;

beforeAll(async () => {
  stack = await Stack.start({ days: 3, events: 20_000 });
  stack.configure({ clickhouse: { url: stack.store.url }, router: { chdbUrl: stack.chdb.url, healthIntervalSeconds: 1 } });
  router = await startService(['router'], stack.project);
}, 180_000);

afterAll(async () => {
  await router?.stop();
  await stack?.stop();
});

it(`answers every request of ${RATE} req/s for ${SECONDS} s while the store is killed and restarted`, async () => {
  const results: { at: number; status: number; source?: string; ms: number }[] = [];
  const pending: Promise<void>[] = [];
  const started = Date.now();
  const total = RATE * SECONDS;
  const outage = (async () => {
    await new Promise((r) => setTimeout(r, 15_000));
    await stack.killStore();
    await new Promise((r) => setTimeout(r, 10_000));
    await stack.restartStore();
  })();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const sent = Date.now();
    pending.push(
      postJson(`${router.url}/query`, { query: QUERIES[i % QUERIES.length], timeRange: '7d' }).then(
        ({ status, body }) => void results.push({ at: sent - started, status, source: body?.source, ms: Date.now() - sent }),
        () => void results.push({ at: sent - started, status: 0, ms: Date.now() - sent }),
      ),
    );
  }
  await Promise.all(pending);
  await outage;
  const failed = results.filter((r) => r.status !== 200);
  const fromChdb = results.filter((r) => r.source === 'chdb').length;
  const latencies = results.map((r) => r.ms).sort((a, b) => a - b);
  const lateMv = results.filter((r) => r.at > 30_000 && r.source === 'clickhouse').length;
  console.log(
    `failover under load: ${results.length} requests in ${((Date.now() - started) / 1000).toFixed(0)} s, ${failed.length} failed; ` +
      `${fromChdb} from chDB; latency p50 ${latencies[latencies.length >> 1]} ms, p99 ${latencies[Math.floor(latencies.length * 0.99)]} ms, max ${latencies.at(-1)} ms`,
  );
  expect(results).toHaveLength(total);
  expect(failed.slice(0, 5)).toEqual([]);
  expect(fromChdb).toBeGreaterThan(0); // the outage was seen
  expect(lateMv).toBeGreaterThan(0); // and the MV answered again after it
}, 300_000);
