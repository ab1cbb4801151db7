/**
 * The local store (`hyb serve store`) through the official client,
 * `@clickhouse/client`, over HTTP: ping, auth, commands, inserts, bound
 * parameters, errors with their ClickHouse code; then the generated DDL of
 * every metric, raw rows that fire the MVs, and every MV query read back
 * through the client equal to chDB's own answer for the same statements.
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

  it('keeps data across a restart (a persistent data directory)', async () => {
    await store.stop();
    store = await startService(['store'], project);
    await client.close();
    client = createClient({ url: store.url, username: 'hyb', password: 's3cret' });
    expect(await (await client.query({ query: 'SELECT count() AS n FROM t', format: 'JSONEachRow' })).json()).toEqual([{ n: '2' }]);
  });

});
