/**
 * Rows of a source as ClickHouse RowBinary in the lake's column order and
 * types (schemas/ `lakeType`): what the ingest keeps in its WAL and hands to
 * chDB's Iceberg insert. chDB parses RowBinary several times faster than
 * JSONEachRow, and building it here costs less than JSON.stringify.
 *
 * A column missing from a row gets its type's default, as JSONEachRow would
 * give it: '' , 0, the epoch, an empty map or array.
 */
import { lakeType, sources, type SourceName } from '../../schemas/sources.ts';

type Value = unknown;
type Write = (out: Out, value: Value) => void;

/** A growing byte buffer. */
class Out {
  buf = Buffer.allocUnsafe(1 << 16);
  at = 0;

  reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  varint(n: number): void {
    this.reserve(10);
    while (n >= 0x80) {
      this.buf[this.at++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.at++] = n;
  }

  string(s: string): void {
    // written after a one-byte length, moved when the length needs more
    this.reserve(s.length * 3 + 10);
    const start = this.at;
    const buf = this.buf;
    // short ASCII strings (most keys and values) byte by byte: a call into
    // Buffer#write costs more than the copy
    if (s.length < 64) {
      let i = 0;
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + 1 + i] = c;
      }
      if (i === s.length) {
        buf[start] = i;
        this.at = start + 1 + i;
        return;
      }
    }
    const bytes = buf.write(s, start + 1, 'utf8');
    if (bytes < 0x80) {
      this.buf[start] = bytes;
      this.at = start + 1 + bytes;
      return;
    }
    let width = 1;
    for (let n = bytes; n >= 0x80; n = Math.floor(n / 128)) width++;
    this.buf.copyWithin(start + width, start + 1, start + 1 + bytes);
    this.at = start;
    this.varint(bytes);
    this.at = start + width + bytes;
  }
}

const text = (v: Value): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v));

const digits = (s: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
};

/** The last date parsed: rows of a batch mostly share their day. */
let lastDate = '';
let lastDayMs = 0;

/**
 * "YYYY-MM-DD hh:mm:ss[.ffffff]" (UTC), as the mappers write it, or a
 * number of microseconds → microseconds since the epoch (exact as a double
 * until the year 2255).
 */
function micros(v: Value): number | bigint {
  if (v === undefined || v === null || v === '') return 0;
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  const s = String(v);
  const shape = (s.length === 19 || (s.length > 20 && s.length <= 29 && s[19] === '.')) && s[4] === '-' && s[7] === '-' && (s[10] === ' ' || s[10] === 'T') && s[13] === ':' && s[16] === ':';
  if (!shape) throw new Error(`not a timestamp: ${JSON.stringify(s)}`);
  if (lastDate === '' || !s.startsWith(lastDate)) {
    lastDayMs = Date.UTC(digits(s, 0, 4), digits(s, 5, 7) - 1, digits(s, 8, 10));
    lastDate = Number.isNaN(lastDayMs) ? '' : s.slice(0, 10);
  }
  const seconds = (digits(s, 11, 13) * 60 + digits(s, 14, 16)) * 60 + digits(s, 17, 19);
  const fraction = s.length > 20 ? digits(`${s.slice(20, 26)}00000`, 0, 6) : 0;
  const value = lastDayMs * 1000 + seconds * 1_000_000 + fraction;
  if (lastDate === '' || Number.isNaN(value)) throw new Error(`not a timestamp: ${JSON.stringify(s)}`);
  return value;
}

const TWO_32 = 2 ** 32;

function int64(out: Out, v: number | bigint): void {
  out.reserve(8);
  if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
    out.buf.writeUInt32LE(v % TWO_32, out.at);
    out.buf.writeUInt32LE(Math.floor(v / TWO_32), out.at + 4);
    out.at += 8;
  } else {
    out.at = out.buf.writeBigInt64LE(BigInt.asIntN(64, BigInt(v)), out.at);
  }
}

function writer(type: string): Write {
  const array = /^Array\((.*)\)$/.exec(type);
  if (array) {
    const element = writer(array[1]!);
    return (out, v) => {
      const list = (v ?? []) as Value[];
      out.varint(list.length);
      for (const item of list) element(out, item);
    };
  }
  if (/^Map\(String, ?String\)$/.test(type)) {
    return (out, v) => {
      const entries = Object.entries((v ?? {}) as Record<string, Value>);
      out.varint(entries.length);
      for (const [key, value] of entries) {
        out.string(key);
        out.string(text(value));
      }
    };
  }
  switch (type) {
    case 'String':
      return (out, v) => out.string(text(v));
    case 'Int32':
      return (out, v) => {
        out.reserve(4);
        out.at = out.buf.writeInt32LE(Number(v ?? 0) | 0, out.at);
      };
    case 'Int64':
      return (out, v) => int64(out, typeof v === 'number' ? Math.trunc(v) : typeof v === 'bigint' ? v : BigInt((v ?? 0) as string | boolean));
    case 'Float64':
      return (out, v) => {
        out.reserve(8);
        out.at = out.buf.writeDoubleLE(Number(v ?? 0), out.at);
      };
    case 'DateTime64(6)':
      return (out, v) => int64(out, micros(v));
    default:
      throw new Error(`RowBinary: no writer for lake type ${type}`);
  }
}

const writers = new Map<SourceName, { name: string; write: Write }[]>();

function columnsOf(source: SourceName): { name: string; write: Write }[] {
  let list = writers.get(source);
  if (!list) {
    list = sources[source].columns.map((col) => ({ name: col.name, write: writer(lakeType(col.type)) }));
    writers.set(source, list);
  }
  return list;
}

/** Reused by every call (they are synchronous): it grows to the largest payload once instead of doubling per call. */
const scratch = new Out();

/** The rows as one RowBinary payload for `source`'s lake table. */
export function toRowBinary(source: SourceName, rows: readonly Record<string, Value>[]): Buffer {
  const columns = columnsOf(source);
  scratch.at = 0;
  for (const row of rows) for (const col of columns) col.write(scratch, row[col.name]);
  return Buffer.from(scratch.buf.subarray(0, scratch.at));
}
