/**
 * The ingest write-ahead log. A request is acknowledged once its record is
 * written and fsynced here; the Iceberg commit comes later. One record per
 * request, holding the RowBinary payload of each source it touched, so a
 * request is replayed whole or not at all.
 *
 * Record: u32 length of what follows the CRC | u32 CRC-32 of it | u64 seq |
 * u8 part count | parts: u8 source index (+ 0x80: RowBinary), u32 row
 * count, u32 byte length, bytes. A part without the 0x80 flag holds
 * JSONEachRow, as logs written before RowBinary did; it is converted when
 * read. Appends that arrive while a write is in flight share the next
 * write and fsync (group commit). A torn record at the tail (a crash before
 * its fsync, so never acknowledged) is cut off on open.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, ftruncateSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { sourceNames, type SourceName } from '../../schemas/sources.ts';
import { toRowBinary } from '../lake/row-binary.ts';

export interface WalPart {
  readonly source: SourceName;
  readonly rows: number;
  /** RowBinary in the lake table's column order. */
  readonly payload: Buffer;
}

const ROW_BINARY = 0x80;

export interface WalRecord {
  readonly seq: number;
  readonly parts: readonly WalPart[];
}

const SEGMENT_BYTES = 64 * 2 ** 20;
const segmentName = (first: number) => `${String(first).padStart(16, '0')}.wal`;

function encode(record: WalRecord): Buffer {
  let size = 8 + 9;
  for (const part of record.parts) size += 9 + part.payload.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(size - 8, 0);
  out.writeBigUInt64LE(BigInt(record.seq), 8);
  out.writeUInt8(record.parts.length, 16);
  let at = 17;
  for (const part of record.parts) {
    out.writeUInt8(sourceNames.indexOf(part.source) | ROW_BINARY, at);
    out.writeUInt32LE(part.rows, at + 1);
    out.writeUInt32LE(part.payload.length, at + 5);
    at += 9 + part.payload.copy(out, at + 9);
  }
  out.writeUInt32LE(crc32(out.subarray(8)), 4);
  return out;
}

/** The records of one segment, and where its valid part ends. */
function decodeSegment(data: Buffer): { records: WalRecord[]; validBytes: number } {
  const records: WalRecord[] = [];
  let at = 0;
  while (at + 8 <= data.length) {
    const length = data.readUInt32LE(at);
    const body = data.subarray(at + 8, at + 8 + length);
    if (body.length < length || crc32(body) !== data.readUInt32LE(at + 4)) break;
    const seq = Number(body.readBigUInt64LE(0));
    const count = body.readUInt8(8);
    const parts: WalPart[] = [];
    let p = 9;
    for (let i = 0; i < count; i++) {
      const tag = body.readUInt8(p);
      const source = sourceNames[tag & ~ROW_BINARY]!;
      const rows = body.readUInt32LE(p + 1);
      const bytes = body.readUInt32LE(p + 5);
      const stored = Buffer.from(body.subarray(p + 9, p + 9 + bytes));
      const payload = tag & ROW_BINARY ? stored : toRowBinary(source, stored.toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>));
      parts.push({ source, rows, payload });
      p += 9 + bytes;
    }
    records.push({ seq, parts });
    at += 8 + length;
  }
  return { records, validBytes: at };
}

export class Wal {
  #dir: string;
  #file: FileHandle | undefined;
  #segmentBytes = 0;
  #nextSeq = 1;
  /** First seq of each segment, oldest first. */
  #segments: number[] = [];
  #pending: { record: WalRecord; done: (error?: Error) => void }[] = [];
  #writing = false;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Opens the log, cutting a torn tail; returns it with every intact record. */
  static async open(dir: string): Promise<{ wal: Wal; records: WalRecord[] }> {
    mkdirSync(dir, { recursive: true });
    const wal = new Wal(dir);
    const records: WalRecord[] = [];
    const names = readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();
    for (const [i, name] of names.entries()) {
      const path = join(dir, name);
      const data = readFileSync(path);
      const segment = decodeSegment(data);
      if (segment.validBytes < data.length) {
        if (i < names.length - 1) throw new Error(`WAL segment ${path} is damaged before its end (byte ${segment.validBytes} of ${data.length})`);
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, segment.validBytes);
        fsyncSync(fd);
        closeSync(fd);
      }
      records.push(...segment.records);
      wal.#segments.push(Number(name.slice(0, 16)));
    }
    wal.#nextSeq = (records.at(-1)?.seq ?? 0) + 1;
    if (wal.#segments.length > 0) {
      const last = join(dir, segmentName(wal.#segments.at(-1)!));
      wal.#file = await open(last, 'a');
      wal.#segmentBytes = statSync(last).size;
    }
    return { wal, records };
  }

  /** Appends one request's parts; resolves with its seq once fsynced. */
  append(parts: readonly WalPart[]): Promise<number> {
    const record = { seq: this.#nextSeq++, parts };
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, done: (error) => (error ? reject(error) : resolve(record.seq)) });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0);
      try {
        if (!this.#file || this.#segmentBytes >= SEGMENT_BYTES) await this.#roll(batch[0]!.record.seq);
        const records = batch.map((b) => encode(b.record));
        const bytes = records.reduce((n, r) => n + r.length, 0);
        const { bytesWritten } = await this.#file!.writev(records);
        if (bytesWritten !== bytes) throw new Error(`WAL: wrote ${bytesWritten} of ${bytes} bytes`);
        await this.#file!.sync();
        this.#segmentBytes += bytes;
        for (const b of batch) b.done();
      } catch (error) {
        // Never acknowledged; cut what part of it reached the file, so the next records follow whole ones.
        await this.#file?.truncate(this.#segmentBytes).catch(() => undefined);
        for (const b of batch) b.done(error as Error);
      }
    }
    this.#writing = false;
  }

  async #roll(firstSeq: number): Promise<void> {
    await this.#file?.close();
    this.#file = await open(join(this.#dir, segmentName(firstSeq)), 'a');
    this.#segmentBytes = 0;
    this.#segments.push(firstSeq);
    // the new file's directory entry must survive a crash too
    const dirFd = openSync(this.#dir, 'r');
    fsyncSync(dirFd);
    closeSync(dirFd);
  }

  /** Deletes the segments whose every record has a seq ≤ `committed`. */
  release(committed: number): void {
    while (this.#segments.length > 1 && this.#segments[1]! <= committed + 1) {
      rmSync(join(this.#dir, segmentName(this.#segments.shift()!)), { force: true });
    }
  }

  async close(): Promise<void> {
    while (this.#writing) await new Promise((r) => setTimeout(r, 5));
    await this.#file?.close();
    this.#file = undefined;
  }
}
