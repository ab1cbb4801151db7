/**
 * A lake table's data files with their row counts, read from its Iceberg
 * metadata the way the spec lays it out: the newest `vN.metadata.json`, its
 * current snapshot's manifest list, and the manifests that list names, read
 * together in one query by an Avro reader: this process's chDB, or the
 * ClickHouse server when it reaches the lake (`LakeQuery`).
 *
 * chDB's own listing (`SELECT _path, count() … GROUP BY _path` over the
 * table) gives the same files but reads each manifest on its own, ~4 ms
 * apiece, and a table gains one manifest per commit: 0.4 s per source on
 * the bench lake (87 manifests) against ~0.1 s here (bench/RESULTS.md,
 * "Sync"). What this does not handle (delete files, metadata another writer
 * named or placed otherwise) it answers with null, and the caller asks chDB.
 *
 * Paths come back as chDB's `_path` names them (a local path without its
 * leading slash; on S3 the bucket and key), which is how `hyb_sync_files`
 * records them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceName } from '../../schemas/sources.ts';
import { type LakeConfig, lakeFileFunction, localLakePath, metadataVersions } from './location.ts';

export interface ListedFile {
  readonly path: string;
  readonly rows: number;
}

/**
 * Runs a query on the engine that reads the lake's metadata (this
 * process's chDB session, or the ClickHouse server) and gives its output
 * as text.
 */
export type LakeQuery = (sql: string, format: 'JSONEachRow' | 'TabSeparatedRaw') => Promise<string>;

/** Manifests read per query, to keep the glob of their names a reasonable size. */
const MANIFESTS_PER_QUERY = 500;

interface Metadata {
  readonly location?: string;
  readonly 'current-snapshot-id'?: string | null;
  readonly snapshots?: readonly { readonly 'snapshot-id': string; readonly 'manifest-list': string }[];
}

/** Metadata JSON with its 64-bit snapshot ids kept as text (as numbers, JSON.parse would round them). */
const parseMetadata = (text: string): Metadata => JSON.parse(text.replace(/("(?:current-snapshot-id|snapshot-id|parent-snapshot-id)"\s*:\s*)(-?\d+)/g, '$1"$2"')) as Metadata;

/**
 * The table's data files from its manifests; [] for a table with no
 * snapshot yet; null where this reading does not apply.
 */
export async function manifestFiles(query: LakeQuery, root: string, lake: LakeConfig, source: SourceName): Promise<ListedFile[] | null> {
  if (lake.kind === 'rest-catalog') return null;
  const folder = tableFolder(root, lake, source);
  const metadata = await newestMetadata(query, root, lake, source, folder);
  if (!metadata) return null;
  const lakePath = pathResolver(folder, metadata.location);
  if (!lakePath) return null;
  const current = metadata['current-snapshot-id'];
  if (current === undefined || current === null || current === '-1') return [];
  const snapshot = metadata.snapshots?.find((s) => s['snapshot-id'] === current);
  if (!snapshot) return null;
  const rows = async <T>(sql: string) =>
    (await query(sql, 'JSONEachRow'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as T);
  const listPath = lakePath(snapshot['manifest-list']);
  if (!listPath) return null;
  const manifests = await rows<{ manifest_path: string; content: number }>(`SELECT manifest_path, content FROM ${lakeFileFunction(lake, listPath, 'Avro')}`);
  if (manifests.some((m) => Number(m.content) !== 0)) return null; // delete manifests: chDB applies them
  const paths = manifests.map((m) => lakePath(m.manifest_path));
  if (paths.some((p) => p === null)) return null;
  // one glob per folder: `…/metadata/{a,b,c}.avro`
  const dir = paths[0]?.slice(0, paths[0].lastIndexOf('/') + 1);
  const names = (paths as string[]).map((p) => p.slice(dir?.length ?? 0));
  if (names.some((n) => !n.endsWith('.avro') || /[/{},*?]/.test(n))) return null;
  const files: ListedFile[] = [];
  for (let i = 0; i < names.length; i += MANIFESTS_PER_QUERY) {
    const glob = `${dir}{${names.slice(i, i + MANIFESTS_PER_QUERY).map((n) => n.slice(0, -'.avro'.length)).join(',')}}.avro`;
    // status 2: deleted from the table in this snapshot
    const entries = await rows<{ path: string; rows: string | number }>(
      `SELECT data_file.file_path AS path, data_file.record_count AS rows FROM ${lakeFileFunction(lake, glob, 'Avro')} WHERE status != 2 AND data_file.content = 0`,
    );
    for (const entry of entries) {
      const path = lakePath(entry.path);
      if (!path) return null;
      files.push({ path, rows: Number(entry.rows) });
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The table's folder in `_path` form: the local path without its leading slash, or the S3 bucket and key prefix. */
function tableFolder(root: string, lake: Exclude<LakeConfig, { kind: 'rest-catalog' }>, source: SourceName): string {
  if (lake.kind === 'local') return join(localLakePath(root, lake), source).replace(/^\/+/, '');
  return `${lake.bucket}/${lake.prefix.replace(/^\/+|\/+$/g, '')}/${source}`.replace(/\/{2,}/g, '/');
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\/+/i; // s3://bucket/key, file:///abs

/**
 * Turns the metadata's paths into `_path` form, or null when they do not
 * lie in the table's folder. chDB writes them relative to the folder it
 * was given (`location` is `/otel_logs/` in a local lake, `/hyb/otel_logs/`
 * in a bucket with prefix `hyb`); other writers write full URLs.
 */
function pathResolver(folder: string, location: string | undefined): ((path: string) => string | null) | null {
  if (!location) return null;
  const at = location.replace(/\/+$/, '');
  let base: string;
  if (SCHEME.test(at)) {
    if (at.replace(SCHEME, '') !== folder) return null;
    base = '';
  } else if (at.startsWith('/') && folder.endsWith(at)) {
    base = folder.slice(0, folder.length - at.length);
  } else return null;
  return (path) => {
    const resolved = SCHEME.test(path) ? path.replace(SCHEME, '') : path.startsWith('/') && base ? `${base}${path}` : null;
    return resolved?.startsWith(`${folder}/`) ? resolved : null;
  };
}

/** The newest metadata file that is whole JSON (a commit in progress leaves the next one empty for a moment). */
async function newestMetadata(query: LakeQuery, root: string, lake: Exclude<LakeConfig, { kind: 'rest-catalog' }>, source: SourceName, folder: string): Promise<Metadata | null> {
  if (lake.kind === 'local') {
    const dir = join(localLakePath(root, lake), source, 'metadata');
    for (const version of metadataVersions(readdirSync(dir))) {
      try {
        return parseMetadata(readFileSync(join(dir, `v${version}.metadata.json`), 'utf8'));
      } catch {
        // torn: the commit before it is the table
      }
    }
    return null;
  }
  const file = (name: string, format: 'RawBLOB' | 'One') => lakeFileFunction(lake, `${folder}/metadata/${name}`, format);
  // 'One': the objects' names without reading them
  const listed = await query(`SELECT _file FROM ${file('v*.metadata.json', 'One')}`, 'TabSeparatedRaw');
  for (const version of metadataVersions(listed.split('\n').filter(Boolean))) {
    try {
      // one String column, written as it is, then the row's newline
      return parseMetadata((await query(`SELECT * FROM ${file(`v${version}.metadata.json`, 'RawBLOB')}`, 'TabSeparatedRaw')).replace(/\n$/, ''));
    } catch {
      // torn or gone: the commit before it
    }
  }
  return null;
}
