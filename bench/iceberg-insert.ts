/**
 * Helper of bench/ingest.ts, its own process (one chDB per process): times
 * one append of a payload file to a new Iceberg table, the way the ingest
 * commits (LakeTables.append, promoting this repository's attributes);
 * prints milliseconds.
 *
 *   tsx bench/iceberg-insert.ts LAKE_DIR ROWS.bin RowBinary|JSONEachRow
 */
import { readFileSync } from 'node:fs';
import { Session } from 'chdb';
import { readPromoted } from '../runtime/lake/attributes.ts';
import { LakeTables, type PayloadFormat } from '../runtime/lake/tables.ts';
import { projectRoot } from './support.ts';

const [lake, file, format] = process.argv.slice(2);
process.chdir(lake!);
const session = new Session(undefined, { connectionArgs: [`--user_files_path=${lake}`] });
const promoted = readPromoted(projectRoot);
const tables = new LakeTables(session, { kind: 'local', path: lake! }, lake!, () => promoted);
tables.ensure('otel_logs');
const payload = readFileSync(file!);
const started = performance.now();
await tables.append('otel_logs', payload, format as PayloadFormat);
process.stdout.write(`${performance.now() - started}\n`);
session.close();
