/**
 * Where the lake's Iceberg tables are, as chDB table functions (to read) and
 * table engines (to write). One table per source, at `<lake>/<source>/`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { quoteString as literal } from '../../compiler/sql/expr.ts';
import type { HybConfig } from '../../schemas/config.ts';
import type { SourceName } from '../../schemas/sources.ts';

export type LakeConfig = HybConfig['lake'];

/** The S3 URL of a source's table folder. */
export function s3TableUrl(lake: Extract<LakeConfig, { kind: 's3' }>, source: SourceName): string {
  const prefix = lake.prefix && !lake.prefix.endsWith('/') ? `${lake.prefix}/` : lake.prefix;
  return `${lake.endpoint.replace(/\/$/, '')}/${lake.bucket}/${prefix}${source}/`;
}

/** The local lake folder, absolute; relative paths are from the project root. */
export function localLakePath(root: string, lake: Extract<LakeConfig, { kind: 'local' }>): string {
  return resolve(root, lake.path);
}

/**
 * Moves this process into a local lake, creating its folder, and returns the
 * folder; null for other lakes. chDB checks local Iceberg paths against the
 * working directory, so every process that reads or writes a local lake
 * runs inside it.
 */
export function enterLocalLake(root: string, lake: LakeConfig): string | null {
  if (lake.kind !== 'local') return null;
  const path = localLakePath(root, lake);
  mkdirSync(path, { recursive: true });
  process.chdir(path);
  return path;
}

/** True when a local lake folder holds the source's Iceberg table. */
export function localTableExists(lakeDir: string, source: SourceName): boolean {
  return existsSync(join(lakeDir, source, 'metadata'));
}

/**
 * Removes a local table's newest `vN.metadata.json` files while they are not
 * whole JSON, and returns their paths. chDB creates the next metadata file
 * and then fills it, so a writer killed in between leaves an empty or cut
 * file that every reader then fails on ("JSON object/array should start
 * with corresponding opening bracket"). That commit never happened: without
 * the file the table is its previous snapshot again, and the ingest's
 * intent check sees the rows as not landed and replays them from its WAL.
 * (An S3 object appears whole or not at all.)
 */
export function dropTornMetadata(lakeDir: string, source: SourceName): string[] {
  const dir = join(lakeDir, source, 'metadata');
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const version of metadataVersions(readdirSync(dir))) {
    const path = join(dir, `v${version}.metadata.json`);
    try {
      JSON.parse(readFileSync(path, 'utf8'));
      break;
    } catch {
      rmSync(path);
      removed.push(path);
    }
  }
  return removed;
}

/** The versions N of the `vN.metadata.json` files among a table's metadata file names, newest first. */
export function metadataVersions(names: readonly string[]): number[] {
  return names
    .map((name) => /^v(\d+)\.metadata\.json$/.exec(name))
    .filter((match) => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => b - a);
}

/** A table function that reads a source's newest snapshot. */
export function lakeReadFunction(root: string, lake: LakeConfig, source: SourceName): string {
  switch (lake.kind) {
    case 'local':
      return `icebergLocal(${literal(resolve(localLakePath(root, lake), source))})`;
    case 's3':
      return `icebergS3(${literal(s3TableUrl(lake, source))}, ${literal(lake.accessKeyId)}, ${literal(lake.secretAccessKey)})`;
    case 'rest-catalog':
      throw new Error('lake.kind rest-catalog: reading through an Iceberg REST catalog is not supported yet; use local or s3');
  }
}

/**
 * A table function that reads one data file of the lake as Parquet, named
 * by the `_path` its Iceberg read function gives (the local path without
 * its leading slash; on S3, the bucket and key). The sync loads a file this
 * way: the Iceberg function would read the table's metadata and manifests
 * again for every file (~50 ms each on the bench lake). Other formats
 * read a table's metadata: 'Avro' its manifests, 'RawBLOB' a metadata
 * file, 'One' only the names of the files a glob matches.
 */
export function lakeFileFunction(lake: LakeConfig, path: string, format: 'Parquet' | 'Avro' | 'RawBLOB' | 'One' = 'Parquet'): string {
  switch (lake.kind) {
    case 'local':
      return `file(${literal(path.startsWith('/') ? path : `/${path}`)}, '${format}')`;
    case 's3':
      return `s3(${literal(`${lake.endpoint.replace(/\/$/, '')}/${path}`)}, ${literal(lake.accessKeyId)}, ${literal(lake.secretAccessKey)}, '${format}')`;
    case 'rest-catalog':
      throw new Error('lake.kind rest-catalog: reading through an Iceberg REST catalog is not supported yet; use local or s3');
  }
}

/**
 * The table engine a writer appends through. Local paths are relative: chDB
 * checks them against the working directory, so writers run inside the lake.
 */
export function lakeWriteEngine(lake: LakeConfig, source: SourceName): string {
  switch (lake.kind) {
    case 'local':
      return `IcebergLocal(${literal(source)})`;
    case 's3':
      return `IcebergS3(${literal(s3TableUrl(lake, source))}, ${literal(lake.accessKeyId)}, ${literal(lake.secretAccessKey)})`;
    case 'rest-catalog':
      throw new Error('lake.kind rest-catalog: writing through an Iceberg REST catalog is not supported yet; use local or s3');
  }
}
