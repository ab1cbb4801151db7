/**
 * The local store (`hyb serve store`) through the official client,
 * `@clickhouse/client`, over HTTP: ping, auth, commands, inserts, bound
 * parameters (side by side, none left over for the next request), errors
 * with their ClickHouse code; then the generated DDL of every metric, raw
 * rows that fire the MVs, and every MV query read back through the client
 * equal to chDB's own answer for the same statements.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/lake.ts';
import { tierCases } from './support/tier.ts';
import { projectWithConfig, startService, type RunningService } from './support/services.ts';

let store: RunningService;
let client: ClickHouseClient;
let project: string;

beforeAll(async () => {
  project = projectWithConfig({ clickhouse: { username: 'hyb', password: 's3cret' }, store: { path: tempDir('store') } });
  store = await startService(['store'], project);
  client = createClient({ url: store.url, username: 'hyb', password: 's3cret' });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await store?.stop();
});

describe('the local store over the ClickHouse HTTP interface', () => {
  it('answers ping and refuses a wrong password with code 516', async () => {
    expect((await client.ping()).success).toBe(true);
    const intruder = createClient({ url: store.url, username: 'hyb', password: 'guess' });
    await expect(intruder.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' });
    await intruder.close();
  });

  tierCases(() => client);

  it('runs queries side by side on its connections, each with its own settings', async () => {
    // one second each: side by side they end together, in turn they take two
    const slow = (maxThreads: number) =>
      client.query({ query: "SELECT getSetting('max_threads') AS threads, sum(slept + 1) AS n FROM (SELECT sleepEachRow(0.25) AS slept FROM numbers(4))", format: 'JSONEachRow', clickhouse_settings: { max_threads: maxThreads } });
    const started = performance.now();
    const answers = await Promise.all([slow(1), slow(3)].map(async (q) => (await q).json()));
    expect(performance.now() - started).toBeLessThan(1_800);
    // a request's settings stay with it, while another runs beside it
    expect(answers).toEqual([[{ threads: 1, n: '4' }], [{ threads: 3, n: '4' }]]);
    // and leave with it: both connections are back to their defaults
    const clean = () => client.query({ query: "SELECT changed, sleepEachRow(0.25) AS _ FROM system.settings WHERE name = 'max_threads'", format: 'JSONEachRow' });
    const after = await Promise.all([clean(), clean()].map(async (q) => (await q).json()));
    expect(after).toEqual([[{ changed: 0, _: 0 }], [{ changed: 0, _: 0 }]]);
  });

  it('runs bound queries side by side too, each with its own parameters', async () => {
    const slow = (x: number) => client.query({ query: 'SELECT {x:UInt8} AS x, sum(slept + 1) AS n FROM (SELECT sleepEachRow(0.25) AS slept FROM numbers(4))', query_params: { x }, format: 'JSONEachRow' });
    const started = performance.now();
    const answers = await Promise.all([slow(1), slow(2), slow(3)].map(async (q) => (await q).json()));
    expect(performance.now() - started).toBeLessThan(1_800);
    expect(answers).toEqual([[{ x: 1, n: '4' }], [{ x: 2, n: '4' }], [{ x: 3, n: '4' }]]);
  });

  it('keeps data across a restart (a persistent data directory)', async () => {
    await store.stop();
    store = await startService(['store'], project);
    await client.close();
    client = createClient({ url: store.url, username: 'hyb', password: 's3cret' });
    expect(await (await client.query({ query: 'SELECT count() AS n FROM t', format: 'JSONEachRow' })).json()).toEqual([{ n: '2' }]);
  });

});
