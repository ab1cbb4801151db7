/**
 * The sync lists a lake table's data files from its Iceberg manifests
 * (runtime/lake/manifests.ts), not through chDB's per-manifest listing:
 * both must name the same files with the same row counts, after several
 * commits, and while the newest metadata file is torn (a commit in
 * progress). The S3 form is checked in s3-lake.test.ts.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeReader } from '../runtime/sync/sync.ts';
import { loadConfig } from '../compiler/config.ts';
import type { HybConfig } from '../schemas/config.ts';
import { tempDir } from './support/lake.ts';
import { hyb } from './support/project.ts';
import { projectWithConfig } from './support/services.ts';

let project: string;
let lake: string;
let config: HybConfig;
let reader: LakeReader;

beforeAll(async () => {
  lake = tempDir('lake');
  project = projectWithConfig({ lake: { kind: 'local', path: lake } });
  // two seeds: the second's commits add files to days the first wrote
  for (const [events, seed] of [['3000', '41'], ['800', '42']]) {
    const run = hyb(['seed', '--via', 'direct', '--days', '2', '--events', events!, '--seed', seed!, '--start', '2026-11-01'], project);
    expect(run.status, run.stderr).toBe(0);
  }
  config = await loadConfig(project);
  reader = new LakeReader(project, config);
}, 120_000);

afterAll(() => {
  reader?.close();
});

describe("a lake table's data files", () => {
  it('are listed from the manifests as chDB lists them', async () => {
    for (const source of ['otel_logs', 'otel_traces'] as const) {
      const listed = await reader.manifestFiles(source);
      expect(listed, `${source}: the manifests were read`).not.toBeNull();
      expect(listed!.length, source).toBeGreaterThan(2);
      expect(listed).toEqual(await reader.scannedFiles(source));
      expect(await reader.files(source)).toEqual(listed);
    }
  });

  it('are those of the last whole metadata file while a commit is writing the next one', async () => {
    const before = await reader.manifestFiles('otel_logs');
    const dir = join(lake, 'otel_logs', 'metadata');
    const newest = Math.max(...readdirSync(dir).map((n) => Number(/^v(\d+)\.metadata\.json$/.exec(n)?.[1] ?? 0)));
    writeFileSync(join(dir, `v${newest + 1}.metadata.json`), '{"format-version": 2, "curr');
    expect(await reader.manifestFiles('otel_logs')).toEqual(before);
  });

  it('are none for a table with no files yet', async () => {
    expect(await reader.files('otel_metrics_gauge')).toEqual([]);
  });
});
