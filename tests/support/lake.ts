import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Session } from 'chdb';
import type { SourceName } from '../../schemas/sources.ts';
import { sourceNames } from '../../schemas/sources.ts';
import { LAKE_DATABASE } from '../../compiler/compile.ts';
import { rawTableDDL } from '../../compiler/sql/sources.ts';
import { createLakeView, readPromoted } from '../../runtime/lake/attributes.ts';
import { toJsonEachRow } from '../../runtime/seed/generate.ts';

const projectRoot = resolve(import.meta.dirname, '../..');

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `hyb-${prefix}-`));

/**
 * Appends rows to the lake through the real writer process, `chunks` commits
 * per source, promoting the attributes that the metrics of project `root`
 * read (this repository's by default; a folder with no generated/ promotes none).
 */
export function writeLake(lake: string, rows: Partial<Record<SourceName, Record<string, unknown>[]>>, chunks = 1, root = projectRoot): void {
  const staging = tempDir('staging');
  for (const [source, list] of Object.entries(rows)) {
    if (!list?.length) continue;
    const size = Math.ceil(list.length / chunks);
    const files: string[] = [];
    for (let i = 0; i < list.length; i += size) {
      const file = join(staging, `${source}-${i}.jsonl`);
      writeFileSync(file, toJsonEachRow(list.slice(i, i + size)));
      files.push(file);
    }
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'runtime/lake/write-files.ts'), lake, source, ...files], {
      cwd: projectRoot,
      env: { ...process.env, HYB_PROJECT: root },
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`lake writer failed for ${source}: ${run.stderr}`);
  }
}

/**
 * A chDB session with the raw MergeTree tables and a `lake` database of views
 * over the lake. chDB checks local Iceberg paths against the working
 * directory (not user_files_path), so the process moves into the lake; test
 * files run in forks, one process each.
 */
export function openEngine(lake: string, options: { rawTtlDays?: number } = {}): Session {
  process.chdir(lake);
  const session = new Session(tempDir('engine'), { connectionArgs: [`--user_files_path=${lake}`] });
  session.query(`CREATE DATABASE IF NOT EXISTS ${LAKE_DATABASE}`);
  for (const source of sourceNames) session.query(rawTableDDL(source, { ttlDays: options.rawTtlDays ?? 3650 }));
  return session;
}

/** Creates the lake views for the sources that have a table in the lake, promoting what this project's metrics read. */
export function attachLake(session: Session, lake: string, present: readonly SourceName[]): void {
  const promoted = readPromoted(projectRoot);
  for (const source of present) createLakeView(session, source, LAKE_DATABASE, `icebergLocal('${join(lake, source)}')`, promoted);
}

export async function insertRaw(session: Session, table: string, rows: readonly Record<string, unknown>[], chunks = 1): Promise<void> {
  const size = Math.ceil(rows.length / chunks);
  for (let i = 0; i < rows.length; i += size) {
    await session.insert({ table, values: Buffer.from(toJsonEachRow(rows.slice(i, i + size))), format: 'JSONEachRow' });
  }
}

export interface JsonResult {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
}

export function queryJson(session: Session, sql: string, params: Record<string, unknown>): JsonResult {
  return JSON.parse(session.queryBind(sql, params, 'JSON')) as JsonResult;
}
