/**
 * `hyb seed`: the same seed gives the same lake whether the data goes through
 * OTLP and the ingest service or straight into the Iceberg tables; some
 * records arrive late; the direct mode refuses to share the tables with a
 * running ingest.
 */
import { describe, expect, it } from 'vitest';
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

describe('hyb seed', () => {
  it('writes the same rows through OTLP as straight into the lake, late records included', async () => {
    const direct = projectWithLake(tempDir('lake'));
    const run = hyb(['seed', '--via', 'direct', ...ARGS], direct);
    expect(run.status, run.stderr).toBe(0);
    const report = /(\d+) events \((\d+) sent late\)/.exec(run.stderr);
    expect(report, run.stderr).not.toBeNull();
    expect(Number(report![2])).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/hyb seed \(direct\) \[#+\]/); // the progress bar

    const viaOtlp = projectWithLake(tempDir('lake'), { ingest: { flushSeconds: 0.2 } });
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
