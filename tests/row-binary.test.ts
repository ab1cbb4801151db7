/**
 * RowBinary (the ingest's WAL and lake-insert format) reads back in chDB as
 * the same rows as JSONEachRow of the same objects, for every column of
 * every source: long and non-ASCII strings, negative and 64-bit integers,
 * timestamps, maps, arrays, and columns a row leaves out.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { Session } from 'chdb';
import { afterAll, describe, expect, it } from 'vitest';
import { quoteString } from '../compiler/sql/expr.ts';
import { lakeColumns } from '../compiler/sql/sources.ts';
import { Wal } from '../runtime/ingest/wal.ts';
import { toRowBinary } from '../runtime/lake/row-binary.ts';
import { generate, toJsonEachRow } from '../runtime/seed/generate.ts';
import { lakeType, sourceNames, sources, type SourceName } from '../schemas/sources.ts';
import { tempDir } from './support/lake.ts';

const dir = tempDir('rowbinary');
const session = new Session(tempDir('rowbinary-engine'), { connectionArgs: [`--user_files_path=${dir}`] });
afterAll(() => session.close());

const strings = ['', 'plain', 'quote \' and "double" \\ back\tslash\nnewline', 'Grüße, 東京 🚀', 'x'.repeat(127), 'y'.repeat(128), 'é'.repeat(70), 'z'.repeat(20_000)];

/** A value of a lake type, varied by `i`. */
function sample(type: string, i: number): unknown {
  const array = /^Array\((.*)\)$/.exec(type);
  if (array) return Array.from({ length: i % 4 }, (_, k) => sample(array[1]!, i + k));
  if (type.startsWith('Map(')) return Object.fromEntries(Array.from({ length: i % 5 }, (_, k) => [`${strings[(i + k) % 4]}.key${k}`, strings[(i + k) % strings.length]]));
  switch (type) {
    case 'String':
      return strings[i % strings.length];
    case 'Int32':
      return [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 255][i % 6];
    case 'Int64':
      return ['0', '-5', '9007199254740993', '9223372036854775807', 42][i % 5];
    case 'Float64':
      return [0, -1.5, 1e-300, 123456.789, 2 ** 60][i % 5];
    case 'DateTime64(6)':
      return ['2026-11-25 01:02:03.000000', '1970-01-01 00:00:00.000001', '2026-02-28 23:59:59.999999', '2038-01-19 03:14:08.123456'][i % 4];
    default:
      throw new Error(`no sample for ${type}`);
  }
}

/** Rows covering every column of `source`; every fifth one leaves half its columns out. */
function rowsOf(source: SourceName): Record<string, unknown>[] {
  const columns = sources[source].columns;
  return Array.from({ length: 40 }, (_, i) =>
    Object.fromEntries(columns.filter((_, c) => i % 5 !== 4 || c % 2 === 0).map((col, c) => [col.name, sample(lakeType(col.type), i + c)])),
  );
}

/** The rows as chDB reads them from a file in `format`. */
function readBack(source: SourceName, name: string, payload: Buffer | string, format: string): string {
  const path = join(dir, name);
  writeFileSync(path, payload);
  return session.query(`SELECT * FROM file(${quoteString(path)}, '${format}', ${quoteString(lakeColumns(source))}) SETTINGS max_threads = 1`, 'JSONEachRow').toString();
}

describe('RowBinary payloads', () => {
  it.each(sourceNames)('%s: every column reads back as JSONEachRow of the same rows gives', (source) => {
    const rows = rowsOf(source);
    const viaJson = readBack(source, `${source}.jsonl`, toJsonEachRow(rows), 'JSONEachRow');
    const viaRowBinary = readBack(source, `${source}.bin`, toRowBinary(source, rows), 'RowBinary');
    expect(viaRowBinary.split('\n').length).toBe(rows.length + 1);
    expect(viaRowBinary).toBe(viaJson);
  });

  it('seeded logs and traces read back the same', () => {
    const seeded = generate({ seed: 9, start: '2026-11-01', days: 1, sessionsPerDay: 300, users: 50 });
    for (const source of ['otel_logs', 'otel_traces'] as const) {
      const rows = seeded[source];
      expect(readBack(source, `seed-${source}.bin`, toRowBinary(source, rows), 'RowBinary')).toBe(readBack(source, `seed-${source}.jsonl`, toJsonEachRow(rows), 'JSONEachRow'));
    }
  });

  it('names a value that is not a timestamp', () => {
    expect(() => toRowBinary('otel_logs', [{ Timestamp: 'yesterday' }])).toThrow(/not a timestamp: "yesterday"/);
  });

  it('a WAL written before RowBinary replays its JSONEachRow parts as RowBinary', async () => {
    const rows = generate({ seed: 4, start: '2026-11-01', days: 1, sessionsPerDay: 20, users: 5 }).otel_logs;
    // the old record layout: a part's source byte without the 0x80 flag, JSONEachRow bytes
    const json = Buffer.from(toJsonEachRow(rows));
    const body = Buffer.alloc(9 + 9 + json.length);
    body.writeBigUInt64LE(7n, 0);
    body.writeUInt8(1, 8);
    body.writeUInt8(sourceNames.indexOf('otel_logs'), 9);
    body.writeUInt32LE(rows.length, 10);
    body.writeUInt32LE(json.length, 14);
    json.copy(body, 18);
    const frame = Buffer.alloc(8);
    frame.writeUInt32LE(body.length, 0);
    frame.writeUInt32LE(crc32(body), 4);
    const walDir = join(dir, 'old-wal');
    mkdirSync(walDir);
    writeFileSync(join(walDir, `${'7'.padStart(16, '0')}.wal`), Buffer.concat([frame, body]));

    const { wal, records } = await Wal.open(walDir);
    await wal.close();
    expect(records).toHaveLength(1);
    expect(records[0]!.seq).toBe(7);
    expect(records[0]!.parts[0]!.rows).toBe(rows.length);
    expect(records[0]!.parts[0]!.payload.equals(toRowBinary('otel_logs', rows))).toBe(true);
  });
});
