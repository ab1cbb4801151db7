/**
 * The ClickHouse-tier cases against a real ClickHouse server, when
 * CLICKHOUSE_URL (and CLICKHOUSE_USER, CLICKHOUSE_PASSWORD) name one; the
 * suite is skipped, with a notice, otherwise. The same cases run against the
 * local store in store.test.ts.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe } from 'vitest';
import { tierCases } from './support/tier.ts';

const url = process.env.CLICKHOUSE_URL;
if (!url) process.stderr.write('clickhouse-server.test.ts: CLICKHOUSE_URL is not set, so the real-server suite is skipped\n');

describe.skipIf(!url)(`a real ClickHouse server at ${url ?? '(none)'}`, () => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    client = createClient({ url, username: process.env.CLICKHOUSE_USER ?? 'default', password: process.env.CLICKHOUSE_PASSWORD ?? '', database: process.env.CLICKHOUSE_DATABASE ?? 'default' });
    await client.command({ query: 'DROP TABLE IF EXISTS t' });
  });
  afterAll(async () => client?.close());
  tierCases(() => client);
});
