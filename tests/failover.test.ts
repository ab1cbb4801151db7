/**
 * Failover: `hyb serve router` (its own process, health interval 1 s) under a
 * steady stream of dashboard queries while the store is SIGKILLed and
 * restarted. No request may fail; answers move to chDB while the store is
 * gone and back to the MV within the health interval once it is up again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postJson, startService, type RunningService } from './support/services.ts';
import { Stack } from './support/stack.ts';

const HEALTH_INTERVAL_MS = 1_000;
const QUERIES = ['errors_per_hour', 'top_pages', 'pageviews_per_day', 'unique_visitors', 'api_latency'];

let stack: Stack;
let router: RunningService;

beforeAll(async () => {
  stack = await Stack.start({ days: 3, events: 20_000 });
  stack.configure({ clickhouse: { url: stack.store.url }, router: { chdbUrl: stack.chdb.url, healthIntervalSeconds: HEALTH_INTERVAL_MS / 1000 } });
  router = await startService(['router'], stack.project);
}, 180_000);

afterAll(async () => {
  await router?.stop();
  await stack?.stop();
});

interface Answer {
  readonly at: number;
  readonly status: number;
  readonly source: string | undefined;
  readonly error?: string;
}

/** `clients` loops each sending one query after another until `stop()`. */
function steadyStream(clients: number) {
  const answers: Answer[] = [];
  let running = true;
  const loops = Array.from({ length: clients }, async (_, client) => {
    for (let i = client; running; i += clients) {
      const query = QUERIES[i % QUERIES.length];
      try {
        const { status, body } = await postJson(`${router.url}/query`, { query, timeRange: '7d' });
        answers.push({ at: Date.now(), status, source: body?.source, error: status === 200 ? undefined : JSON.stringify(body) });
      } catch (error) {
        answers.push({ at: Date.now(), status: 0, source: undefined, error: String(error) });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  const waitFor = async (done: (a: Answer) => boolean, timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && !answers.some(done)) await new Promise((r) => setTimeout(r, 20));
    return answers.find(done);
  };
  return { answers, waitFor, stop: () => ((running = false), Promise.all(loops)) };
}

it('keeps answering while the store is killed and restarted: chDB meanwhile, the MV again within the health interval', async () => {
  const stream = steadyStream(4);
  expect(await stream.waitFor((a) => a.source === 'clickhouse', 10_000), 'served from the MV before the kill').toBeDefined();

  const killedAt = Date.now();
  await stack.killStore();
  const firstChdb = await stream.waitFor((a) => a.at > killedAt && a.source === 'chdb', 10_000);
  expect(firstChdb, 'served from chDB after the kill').toBeDefined();
  await new Promise((r) => setTimeout(r, 3 * HEALTH_INTERVAL_MS)); // several health checks fail meanwhile

  await stack.restartStore();
  const upAt = Date.now();
  const back = await stream.waitFor((a) => a.at > upAt && a.source === 'clickhouse', 10_000);
  await new Promise((r) => setTimeout(r, 500));
  await stream.stop();

  const failed = stream.answers.filter((a) => a.status !== 200);
  const down = stream.answers.filter((a) => a.at > killedAt && a.at <= upAt);
  console.log(
    `failover: ${stream.answers.length} requests, ${failed.length} failed; ${down.length} while the store was down ` +
      `(${down.filter((a) => a.source === 'chdb').length} from chDB); first chDB answer ${firstChdb!.at - killedAt} ms after the kill; ` +
      `MV again ${back ? back.at - upAt : '∞'} ms after the store listened`,
  );
  expect(failed, JSON.stringify(failed.slice(0, 3))).toEqual([]);
  expect(back, 'served from the MV again after the restart').toBeDefined();
  expect(back!.at - upAt).toBeLessThanOrEqual(HEALTH_INTERVAL_MS + 500);
  // once the store was down and its health check said so, nothing went to it
  expect(down.filter((a) => a.at > firstChdb!.at + HEALTH_INTERVAL_MS).every((a) => a.source === 'chdb')).toBe(true);
}, 120_000);
