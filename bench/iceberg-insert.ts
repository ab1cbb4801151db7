/**
 * Helper of bench/ingest.ts, its own process (one chDB per process): times
 * one JSONEachRow insert into a new Iceberg table; prints milliseconds.
 *
 *   tsx bench/iceberg-insert.ts LAKE_DIR ROWS.jsonl
 */
import { readFileSync } from 'node:fs';
import { Session } from 'chdb';
import { lakeTableDDL } from '../compiler/sql/sources.ts';

const [lake, file] = process.argv.slice(2);
process.chdir(lake!);
const session = new Session();
session.query(lakeTableDDL('otel_logs', "IcebergLocal('otel_logs')"));
const payload = readFileSync(file!);
const started = performance.now();
await session.insert({ table: 'otel_logs', values: payload, format: 'JSONEachRow', settings: { allow_experimental_insert_into_iceberg: 1 } });
process.stdout.write(`${performance.now() - started}\n`);
session.close();
