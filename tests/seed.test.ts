/**
 * `hyb seed`: the same seed gives the same lake whether the data goes through
 * OTLP and the ingest service or straight into the Iceberg tables; some
 * records arrive late; the direct mode refuses to share the tables with a
 * running ingest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { afterAll, describe, expect, it } from 'vitest';
import { quoteString } from '../compiler/sql/expr.ts';
import { sources } from '../schemas/sources.ts';
import { tempDir } from './support/lake.ts';
import { hyb } from './support/project.ts';
import { postJson, projectWithLake, startService } from './support/services.ts';

const ARGS = ['--days', '2', '--events', '4000', '--seed', '5', '--start', '2026-02-10'];

/** Every row of a source, as sorted JSON lines, read through a chDB service. */
async function contents(project: string, source: string): Promise<string[]> {
  const chdb = await startService(['chdb'], project);
  try {
    const answer = await postJson(`${chdb.url}/query`, { sql: `SELECT * FROM lake.${source}` });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return (answer.body.data as unknown[]).map((row) => JSON.stringify(row)).sort();
  } finally {
    await chdb.stop();
  }
}

// Reads lake files in place: every temp lake sits under tmpdir().
const reader = new Session(undefined, { connectionArgs: [`--user_files_path=${tmpdir()}`] });
afterAll(() => reader.close());

/**
 * Rows of each data file of a source that come before the row above them
 * in the source's lake sort order (none when every file is sorted), and
 * how many rows were checked.
 */
function unsortedRows(lake: string, source: 'otel_logs' | 'otel_traces'): { rows: number; unsorted: string[] } {
  const key = sources[source].sortOrder;
  const dataDir = join(lake, source, 'data');
  let rows = 0;
  const unsorted: string[] = [];
  for (const name of readdirSync(dataDir).filter((f) => f.endsWith('.parquet'))) {
    const file = join(dataDir, name);
    // file order: one thread, order kept; Timestamp as its full-precision text
    const text = reader.query(
      `SELECT ${key.map((c) => (c === 'Timestamp' ? "formatDateTime(Timestamp, '%F %T.%f')" : c)).join(', ')} FROM file(${quoteString(file)}, Parquet) ` +
        'SETTINGS max_threads = 1, input_format_parquet_preserve_order = 1',
      'TSVRaw',
    );
    const lines = text.split('\n').filter(Boolean);
    rows += lines.length;
    // every key column is text here, compared byte-wise as ClickHouse sorts it
    const cells = lines.map((line) => line.split('\t').map((cell) => Buffer.from(cell)));
    for (let i = 1; i < cells.length; i++) {
      const [a, b] = [cells[i - 1]!, cells[i]!];
      const order = a.map((cell, k) => Buffer.compare(cell, b[k]!)).find((c) => c !== 0) ?? 0;
      if (order > 0) unsorted.push(`${name} row ${i}: ${lines[i - 1]} before ${lines[i]}`);
    }
  }
  return { rows, unsorted };
}

/**
 * The sort orders of every metadata version of a source's table that break
 * the Iceberg spec: order-id 0 is reserved for "unsorted", and the Java and
 * Go readers refuse metadata that gives it fields.
 */
function invalidSortOrders(lake: string, source: string): string[] {
  const dir = join(lake, source, 'metadata');
  const versions = readdirSync(dir).filter((f) => f.endsWith('.metadata.json'));
  expect(versions.length, `${source} metadata versions`).toBeGreaterThan(0);
  return versions.flatMap((file) => {
    const metadata = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { 'sort-orders'?: { 'order-id': number; fields: unknown[] }[] };
    return (metadata['sort-orders'] ?? []).filter((o) => o['order-id'] === 0 && o.fields.length > 0).map((o) => `${file}: ${JSON.stringify(o)}`);
  });
}

describe('hyb seed', () => {
  it('writes the same rows through OTLP as straight into the lake, late records included', async () => {
    const directLake = tempDir('lake');
    const direct = projectWithLake(directLake);
    const run = hyb(['seed', '--via', 'direct', ...ARGS], direct);
    expect(run.status, run.stderr).toBe(0);
    const report = /(\d+) events \((\d+) sent late\)/.exec(run.stderr);
    expect(report, run.stderr).not.toBeNull();
    expect(Number(report![2])).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/hyb seed \(direct\) \[#+\]/); // the progress bar

    const otlpLake = tempDir('lake');
    const viaOtlp = projectWithLake(otlpLake, { ingest: { flushSeconds: 0.2 } });
    const ingest = await startService(['ingest'], viaOtlp);
    const sent = hyb(['seed', '--via', 'otlp', '--url', ingest.url, ...ARGS], viaOtlp);
    await ingest.stop(); // a clean stop flushes everything
    expect(sent.status, sent.stderr).toBe(0);

    for (const source of ['otel_logs', 'otel_traces']) {
      const a = await contents(direct, source);
      const b = await contents(viaOtlp, source);
      expect(b.length, source).toBe(a.length);
      expect(b, source).toEqual(a);
    }
    const total = (await contents(direct, 'otel_logs')).length + (await contents(direct, 'otel_traces')).length;
    expect(total).toBe(Number(report![1]));

    // Both writers keep each data file in the lake sort order (the tables'
    // Iceberg sort order), so one kind of event lies together in a file.
    for (const [lake, source] of [[directLake, 'otel_logs'], [directLake, 'otel_traces'], [otlpLake, 'otel_logs'], [otlpLake, 'otel_traces']] as const) {
      const { rows, unsorted } = unsortedRows(lake, source);
      expect(rows, `${lake} ${source}`).toBeGreaterThan(100);
      expect(unsorted.slice(0, 3), `${lake} ${source}`).toEqual([]);
      expect(invalidSortOrders(lake, source), `${lake} ${source}`).toEqual([]);
    }
  }, 120_000);

  it('refuses to write the tables directly while ingest runs, and names bad flags', async () => {
    const project = projectWithLake(tempDir('lake'));
    const ingest = await startService(['ingest'], project);
    try {
      const run = hyb(['seed', '--via', 'direct', ...ARGS], project);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/HYB_SEED: hyb serve ingest is running \(pid \d+\)/);
    } finally {
      await ingest.stop();
    }
    expect(hyb(['seed', '--days', 'many'], project).stderr).toMatch(/HYB_USAGE: --days: 'many' is not a positive integer/);
    expect(hyb(['seed', '--via', 'carrier-pigeon'], project).stderr).toMatch(/HYB_USAGE: --via/);
    expect(hyb(['seed', '--start', 'yesterday'], project).stderr).toMatch(/HYB_USAGE: --start/);
  }, 60_000);
});
