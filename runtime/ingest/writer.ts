/**
 * Appends acknowledged rows to the lake's Iceberg tables: one buffer per
 * source, flushed as one commit when it is big enough or old enough, so the
 * lake gets few, large Parquet files. This process is the only writer of
 * these tables.
 *
 * Exactly once across crashes: before a commit the writer records an intent
 * (last WAL seq, table row count before, rows added); after it, the new
 * committed state. On restart an intent is settled by counting the table's
 * rows: before + added means the commit landed, before means it did not.
 * WAL records past the committed seq are then replayed.
 */
import { existsSync, fsyncSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sourceNames, type SourceName } from '../../schemas/sources.ts';
import type { LakeTables } from '../lake/tables.ts';
import type { WalPart, WalRecord } from './wal.ts';

export interface RollOver {
  /** Flush a source once it holds this many rows… */
  readonly maxRows: number;
  /** …or this many bytes… */
  readonly maxBytes: number;
  /** …or its oldest row has waited this long. */
  readonly maxAgeMs: number;
}

interface Committed {
  readonly seq: number;
  readonly rows: number;
}

interface Intent extends Committed {
  readonly rowsBefore: number;
}

interface Buffer_ {
  parts: WalPart[];
  rows: number;
  bytes: number;
  lastSeq: number;
  firstSeq: number;
  since: number;
}

/**
 * Crash tests: with HYB_FAILPOINT set to a point's name, the process kills
 * itself there, as a power cut would.
 */
function failpoint(name: 'before-commit' | 'after-commit'): void {
  if (process.env.HYB_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}

/** Writes `value` as JSON to `path` so that a crash leaves the old or the new file, whole. */
function writeDurably(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(value));
  const fd = openSync(`${path}.tmp`, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(`${path}.tmp`, path);
}

const readJson = <T>(path: string): T | undefined => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined);

export class LakeWriter {
  #committed = new Map<SourceName, Committed>();
  #buffers = new Map<SourceName, Buffer_>();
  #tables: LakeTables;
  /** First seq of each buffer being committed right now. */
  #committing = new Map<SourceName, number>();
  #flushing: Promise<void> = Promise.resolve();
  #lastSeq = 0;

  constructor(
    tables: LakeTables,
    private readonly stateDir: string,
    private readonly rollOver: RollOver,
  ) {
    mkdirSync(stateDir, { recursive: true });
    this.#tables = tables;
  }

  /** Settles interrupted commits, then buffers the WAL records not yet in the lake. */
  async recover(records: readonly WalRecord[]): Promise<{ replayedRows: number }> {
    for (const source of sourceNames) {
      const stored = readJson<Committed>(this.#path(source, 'committed')) ?? { seq: 0, rows: 0 };
      const intent = readJson<Intent>(this.#path(source, 'intent'));
      // Counted, not trusted from the state file: `hyb seed --via direct` may have appended.
      const actual = this.#tables.count(source);
      if (intent && actual !== intent.rows && actual !== intent.rowsBefore) {
        throw new Error(
          `${source}: the lake table has ${actual} rows; an interrupted commit expected ${intent.rowsBefore} (not landed) or ${intent.rows} (landed). Another writer?`,
        );
      }
      const landed = intent !== undefined && actual === intent.rows;
      const committed: Committed = { seq: landed ? intent.seq : stored.seq, rows: actual };
      if (intent) {
        writeDurably(this.#path(source, 'committed'), committed);
        rmSync(this.#path(source, 'intent'), { force: true });
      }
      this.#committed.set(source, committed);
    }
    let replayedRows = 0;
    for (const record of records) {
      const parts = record.parts.filter((part) => record.seq > (this.#committed.get(part.source)?.seq ?? 0));
      this.add(record.seq, parts);
      replayedRows += parts.reduce((n, p) => n + p.rows, 0);
    }
    return { replayedRows };
  }

  /** Buffers an acknowledged request's rows. */
  add(seq: number, parts: readonly WalPart[]): void {
    this.#lastSeq = Math.max(this.#lastSeq, seq);
    for (const part of parts) {
      let buffer = this.#buffers.get(part.source);
      if (!buffer) {
        buffer = { parts: [], rows: 0, bytes: 0, firstSeq: seq, lastSeq: seq, since: Date.now() };
        this.#buffers.set(part.source, buffer);
      }
      buffer.parts.push(part);
      buffer.rows += part.rows;
      buffer.bytes += part.payload.length;
      buffer.lastSeq = seq;
    }
  }

  /** Bytes acknowledged and not yet committed: what back-pressure watches. */
  get bufferedBytes(): number {
    let total = 0;
    for (const buffer of this.#buffers.values()) total += buffer.bytes;
    return total;
  }

  /** Every WAL record up to this seq is in the lake. */
  get durableSeq(): number {
    let seq = this.#lastSeq;
    for (const buffer of this.#buffers.values()) seq = Math.min(seq, buffer.firstSeq - 1);
    for (const first of this.#committing.values()) seq = Math.min(seq, first - 1);
    return seq;
  }

  /** Flushes the sources that are due (or all); one flush at a time. */
  flush(all = false): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      const now = Date.now();
      for (const [source, buffer] of [...this.#buffers]) {
        const due = buffer.rows >= this.rollOver.maxRows || buffer.bytes >= this.rollOver.maxBytes || now - buffer.since >= this.rollOver.maxAgeMs;
        if (all || due) await this.#commit(source, buffer);
      }
    });
    return this.#flushing;
  }

  async #commit(source: SourceName, buffer: Buffer_): Promise<void> {
    this.#buffers.delete(source); // rows arriving from now on start a new buffer
    this.#committing.set(source, buffer.firstSeq);
    try {
      await this.#commitBuffer(source, buffer);
    } finally {
      this.#committing.delete(source);
    }
  }

  async #commitBuffer(source: SourceName, buffer: Buffer_): Promise<void> {
    const before = this.#committed.get(source)!;
    const after: Committed = { seq: buffer.lastSeq, rows: before.rows + buffer.rows };
    writeDurably(this.#path(source, 'intent'), { ...after, rowsBefore: before.rows } satisfies Intent);
    failpoint('before-commit');
    try {
      await this.#tables.append(source, buffer.parts.map((p) => p.payload));
    } catch (error) {
      // Not landed: keep the rows (ahead of newer ones) and the intent's
      // verdict for the restart; the next flush retries.
      rmSync(this.#path(source, 'intent'), { force: true });
      const newer = this.#buffers.get(source);
      this.#buffers.set(
        source,
        newer ? { ...buffer, parts: [...buffer.parts, ...newer.parts], rows: buffer.rows + newer.rows, bytes: buffer.bytes + newer.bytes, lastSeq: newer.lastSeq } : buffer,
      );
      throw error;
    }
    failpoint('after-commit');
    writeDurably(this.#path(source, 'committed'), after);
    rmSync(this.#path(source, 'intent'), { force: true });
    this.#committed.set(source, after);
  }

  #path(source: SourceName, kind: 'committed' | 'intent'): string {
    return join(this.stateDir, `${source}.${kind}.json`);
  }
}
