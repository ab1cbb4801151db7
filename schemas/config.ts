import { z } from 'zod';

/** The lake: a local folder by default, or any S3 store (R2 in production). */
export const lakeConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), path: z.string().min(1) }),
  z.object({
    kind: z.literal('s3'),
    endpoint: z.string().url(),
    bucket: z.string().min(1),
    prefix: z.string().default(''),
    accessKeyId: z.string(),
    secretAccessKey: z.string(),
    region: z.string().default('auto'),
  }),
  // An Iceberg REST catalog (R2 Data Catalog). Not reachable from these
  // machines, so only configuration exists for it.
  z.object({ kind: z.literal('rest-catalog'), uri: z.string().url(), warehouse: z.string(), token: z.string() }),
]);

export const configSchema = z.object({
  lake: lakeConfigSchema.default({ kind: 'local', path: '.hyb/lake' }),
  clickhouse: z
    .object({
      url: z.string().url().default('http://127.0.0.1:8123'),
      username: z.string().default('default'),
      password: z.string().default(''),
      database: z.string().default('default'),
      /** Set to emit ON CLUSTER and Replicated engines. */
      cluster: z.string().optional(),
    })
    .default({ url: 'http://127.0.0.1:8123', username: 'default', password: '', database: 'default' }),
  retention: z
    .object({
      rawDays: z.number().int().min(1).default(30),
      rollupDays: z.number().int().min(90).max(365).default(90),
    })
    .default({ rawDays: 30, rollupDays: 90 }),
  ports: z
    .object({
      ingest: z.number().int().default(4318),
      chdb: z.number().int().default(8124),
      store: z.number().int().default(8123),
      router: z.number().int().default(8787),
    })
    .default({ ingest: 4318, chdb: 8124, store: 8123, router: 8787 }),
  /** The embedded ClickHouse-compatible store (`hyb serve store`). */
  store: z
    .object({
      path: z.string().default('.hyb/store'),
      /** Connections to the store's engine: how many queries without parameters run at once. */
      connections: z.number().int().min(1).max(64).default(4),
    })
    .prefault({}),
  ingest: z
    .object({
      /** WAL and commit state; a local folder even when the lake is on S3. */
      stateDir: z.string().default('.hyb/ingest'),
      /** Largest request body, compressed or not (413 above). */
      maxBodyBytes: z.number().int().positive().default(16 * 2 ** 20),
      /** Acknowledged bytes not yet in the lake before requests get 503. */
      maxBufferBytes: z.number().int().positive().default(256 * 2 ** 20),
      /** Requests in progress before new ones get 429. */
      maxConcurrentRequests: z.number().int().positive().default(64),
      /** A source's buffer becomes one Iceberg commit at this many rows, bytes or seconds. */
      flushRows: z.number().int().positive().default(250_000),
      flushBytes: z.number().int().positive().default(128 * 2 ** 20),
      flushSeconds: z.number().positive().default(30),
    })
    .prefault({}),
  router: z
    .object({
      /** How often each ClickHouse endpoint's health, ready MVs and sync state are rechecked. */
      healthIntervalSeconds: z.number().positive().default(30),
      /** How far an MV may trail the lake (seconds) when its metric does not say. */
      maxStalenessSeconds: z.number().positive().default(900),
      /** ClickHouse endpoints (regions), nearest first by `preference`; none: the `clickhouse` server alone. */
      endpoints: z
        .array(
          z.object({
            name: z.string().min(1),
            url: z.string().url(),
            username: z.string().default('default'),
            password: z.string().default(''),
            database: z.string().default('default'),
            preference: z.number().int().default(0),
          }),
        )
        .default([]),
      /** The chDB service; default: http://127.0.0.1:<ports.chdb>. Its token comes from HYB_CHDB_TOKEN. */
      chdbUrl: z.string().url().optional(),
      /** Origins allowed to call the router from a browser (CORS); none by default. */
      corsOrigins: z.array(z.string()).default([]),
      /** MV answers the router keeps until a sync loads new files (0: none). */
      mvCacheEntries: z.number().int().min(0).default(1_000),
      /** An MV query slower than this falls back to chDB. */
      mvTimeoutMs: z.number().int().positive().default(10_000),
      /** Used when a request names no range. */
      defaultRange: z.string().regex(/^\d+[mhdw]$/).default('7d'),
    })
    .prefault({}),
});

export type HybConfigInput = z.input<typeof configSchema>;
export type HybConfig = z.output<typeof configSchema>;
