/**
 * The lake on S3: `s3rver` on loopback stands in for R2. Ingest writes the
 * Iceberg tables into the bucket, the chDB service reads them from there,
 * and a restarted ingest finds its tables (and their row counts) again; one
 * that promotes attributes the first did not adds their columns to the
 * table in the bucket. `hyb sync` lists the bucket's data files from the
 * table's manifests and has the store load them itself (`s3()`), as a
 * ClickHouse server given the lake's keys does.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTRIBUTES_FILE } from '../runtime/lake/attributes.ts';
import { LakeReader } from '../runtime/sync/sync.ts';
import { loadConfig } from '../compiler/config.ts';
import { createClient } from '@clickhouse/client';
import { hybBackground } from './support/project.ts';
import { eventually, postJson, projectWithConfig, startService } from './support/services.ts';

let server: S3rver;
let bucketDir: string;
let project: string;
let lake: Record<string, unknown>;

beforeAll(async () => {
  bucketDir = mkdtempSync(join(tmpdir(), 'hyb-s3-'));
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: bucketDir, configureBuckets: [{ name: 'lake', configs: [] }] });
  const { port } = await server.run();
  lake = { kind: 's3', endpoint: `http://127.0.0.1:${port}`, bucket: 'lake', prefix: 'hyb', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  project = projectWithConfig({ lake, ingest: { flushSeconds: 0.3 } });
});

afterAll(async () => {
  await server?.close();
});

const logs = (service: string, bodies: string[]) => ({
  resourceLogs: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeLogs: [
        {
          logRecords: bodies.map((body, i) => ({
            timeUnixNano: String(1772532000000000000n + BigInt(i)),
            body: { stringValue: body },
            attributes: [{ key: 'url.path', value: { stringValue: `/${body}` } }],
          })),
        },
      ],
    },
  ],
});

describe('a lake on S3', () => {
  it('is written by ingest, read by the chDB service, and found again after a restart', async () => {
    // the first run promotes nothing (a project compiled before any metric read an attribute)
    const attributes = readFileSync(join(project, ATTRIBUTES_FILE), 'utf8');
    rmSync(join(project, ATTRIBUTES_FILE));
    const ingest = await startService(['ingest'], project);
    expect((await postJson(`${ingest.url}/v1/logs`, logs('s3-app', ['one', 'two', 'three']))).status).toBe(200);
    await ingest.stop(); // flushes to the bucket

    // the Iceberg table is in the bucket, under the prefix (s3rver keeps an object as <key>._S3rver_object)
    const stored = readdirSync(join(bucketDir, 'lake'), { recursive: true }).map(String);
    expect(stored.some((p) => /^hyb\/otel_logs\/metadata\/v\d+\.metadata\.json\._S3rver_object$/.test(p))).toBe(true);
    expect(stored.some((p) => /^hyb\/otel_logs\/data\/.*\.parquet\._S3rver_object$/.test(p))).toBe(true);

    // a second ingest run attaches the existing table, adds the promoted columns, and appends to it
    writeFileSync(join(project, ATTRIBUTES_FILE), attributes);
    const again = await startService(['ingest'], project);
    expect((await postJson(`${again.url}/v1/logs`, logs('s3-app', ['four']))).status).toBe(200);
    await again.stop();
    expect(again.child.exitCode, again.stderr()).toBe(0);
    const metadata = readdirSync(join(bucketDir, 'lake/hyb/otel_logs/metadata')).filter((f) => f.endsWith('.metadata.json._S3rver_object'));
    const schemas = metadata.map((f) => readFileSync(join(bucketDir, 'lake/hyb/otel_logs/metadata', f), 'utf8'));
    expect(schemas.some((text) => text.includes('"LogAttributes__url_path"'))).toBe(true);
    expect(schemas.some((text) => !text.includes('"LogAttributes__url_path"'))).toBe(true);

    const chdb = await startService(['chdb'], project);
    try {
      // the promoted column: from the map in the first file, from the column in the second
      const sql = "SELECT Body, LogAttributes__url_path AS path FROM lake.otel_logs WHERE ServiceName = 's3-app' ORDER BY Body";
      const answer = await eventually(() => postJson(`${chdb.url}/query`, { sql }), (a) => a.status === 200 && a.body.data.length >= 4);
      expect(answer.body.data).toEqual([
        { Body: 'four', path: '/four' },
        { Body: 'one', path: '/one' },
        { Body: 'three', path: '/three' },
        { Body: 'two', path: '/two' },
      ]);
      const health = await (await fetch(`${chdb.url}/health`)).json();
      expect(health.sources).toEqual(['otel_logs']);
    } finally {
      await chdb.stop();
    }
  }, 90_000);

  it('is synced into the store, which loads each data file from the bucket itself', async () => {
    // not spawnSync: s3rver answers from this process, whose event loop must keep running
    const run = (args: string[]) =>
      new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = hybBackground(args, project);
        let stderr = '';
        child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('exit', (status) => resolve({ status, stderr }));
      });
    const store = await startService(['store'], project);
    writeFileSync(join(project, 'hyb.config.ts'), `import { defineConfig } from './compiler/dsl/index.ts';\nexport default defineConfig(${JSON.stringify({ lake, clickhouse: { url: store.url } })});\n`);
    const client = createClient({ url: store.url });
    try {
      const migrate = await run(['migrate']);
      expect(migrate.status, migrate.stderr).toBe(0);
      const sync = await run(['sync']);
      expect(sync.status, sync.stderr).toBe(0);
      const [, files, rows, direct] = /hyb sync: (\d+) file\(s\), (\d+) rows \((\d+) read by ClickHouse from the lake\)/.exec(sync.stderr) ?? [];
      expect(Number(files)).toBeGreaterThan(1); // both ingest runs' commits
      expect(direct).toBe(files);
      expect(rows).toBe('4');
      // (the rows are from March: the raw tables' 30-day TTL drops them, so the record is what is checked)
      const loaded = await client.query({ query: "SELECT count() AS files, sum(rows) AS rows FROM hyb_sync_files FINAL WHERE source = 'otel_logs'", format: 'JSONEachRow' });
      expect(await loaded.json()).toEqual([{ files: files, rows: '4' }]);
      // the sync listed them from the table's manifests in the bucket, as chDB's own listing does
      const reader = new LakeReader(project, await loadConfig(project));
      try {
        const listed = await reader.manifestFiles('otel_logs');
        expect(listed?.length).toBe(Number(files));
        expect(listed).toEqual(await reader.scannedFiles('otel_logs'));
        // and the store lists the same from the bucket itself, as the sync had it do
        expect(await reader.serverFiles('otel_logs', client)).toEqual(listed);
        expect(await reader.files('otel_metrics_gauge')).toEqual([]); // no table in the bucket
      } finally {
        reader.close();
      }
    } finally {
      await client.close();
      await store.stop();
    }
  }, 90_000);
});
