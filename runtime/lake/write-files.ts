/**
 * Appends JSONEachRow files to the lake's Iceberg tables, one commit per file,
 * promoting the attributes that the metrics of the project read (the folder
 * HYB_PROJECT names, else the current one).
 * Its own process: chDB keeps one data directory per process, and checks
 * Iceberg write paths against the working directory, so it runs in the lake.
 *
 *   tsx runtime/lake/write-files.ts LAKE_DIR SOURCE FILE.jsonl [FILE.jsonl …]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Session } from 'chdb';
import { sourceNames, type SourceName } from '../../schemas/sources.ts';
import { enterLocalLake } from './location.ts';
import { readPromoted } from './attributes.ts';
import { LakeTables } from './tables.ts';

const [lakeArg, source, ...files] = process.argv.slice(2);
if (!lakeArg || !source || !sourceNames.includes(source as SourceName) || files.length === 0) {
  process.stderr.write('usage: write-files.ts LAKE_DIR SOURCE FILE.jsonl...\n');
  process.exit(2);
}
const inputs = files.map((f) => resolve(f));
// the project whose metrics say which attributes to promote: HYB_PROJECT, else the caller's folder
const promoted = readPromoted(resolve(process.env.HYB_PROJECT ?? process.cwd()));
const lake = enterLocalLake(process.cwd(), { kind: 'local', path: lakeArg })!;
const session = new Session(resolve(lake, '.writer', source), { connectionArgs: [`--user_files_path=${lake}`] });
try {
  const tables = new LakeTables(session, { kind: 'local', path: lake }, lake, () => promoted);
  for (const file of inputs) await tables.append(source as SourceName, readFileSync(file), 'JSONEachRow');
} finally {
  session.close();
}
