/**
 * The lake's Iceberg tables as one chDB session writes them: attach an
 * existing table from its metadata, create a missing one (day-partitioned,
 * from schemas/), append rows as one commit.
 *
 * Rows travel as RowBinary (row-binary.ts), which chDB parses 3–7 times
 * faster than JSONEachRow (test fixtures). chDB's raw insert takes text
 * formats only, so a payload is staged as a file in the session's
 * `user_files_path` and read with file(), sorted by the source's lake sort
 * order on the way, and each promoted attribute (compiler/sql/promoted.ts)
 * copied out of its map into its own column. A table that lacks a column
 * for an attribute promoted since it was made gets one (ALTER TABLE … ADD
 * COLUMN, an Iceberg schema change) before the next append.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from 'chdb';
import { quoteIdent, quoteString } from '../../compiler/sql/expr.ts';
import type { PromotedAttributes } from '../../compiler/sql/promoted.ts';
import { attributeValue, lakeColumns, lakeSortClause, lakeTableDDL, promotedColumnDDL } from '../../compiler/sql/sources.ts';
import { sources, type SourceName } from '../../schemas/sources.ts';
import { columnsOf } from './attributes.ts';
import { lakeWriteEngine, localTableExists, type LakeConfig } from './location.ts';

export type PayloadFormat = 'RowBinary' | 'JSONEachRow';

const STAGED_PREFIX = 'hyb-append-';

const ICEBERG_WRITES = 'SETTINGS allow_experimental_insert_into_iceberg = 1';

export class LakeTables {
  /** Per attached table, the columns it has. */
  #columns = new Map<SourceName, Set<string>>();

  /**
   * `stagingDir` must be the session's `user_files_path` (`--user_files_path`).
   * `promoted` is asked before each append (runtime/lake/attributes.ts).
   */
  constructor(
    private readonly session: Session,
    private readonly lake: LakeConfig,
    private readonly stagingDir: string,
    private readonly promoted: () => PromotedAttributes = () => ({}),
  ) {
    mkdirSync(stagingDir, { recursive: true });
    // staged by a process killed mid-commit; this session is the only one staging here
    for (const name of readdirSync(stagingDir)) if (name.startsWith(STAGED_PREFIX)) rmSync(join(stagingDir, name), { force: true });
  }

  /** True when the source's table exists (a local lake: in the working directory). */
  exists(source: SourceName): boolean {
    if (this.#columns.has(source)) return true;
    if (this.lake.kind === 'local') return localTableExists('.', source);
    try {
      this.ensure(source, false);
      return true;
    } catch {
      return false;
    }
  }

  /** Attaches the table, creating it when `create` and it does not exist yet. */
  ensure(source: SourceName, create = true): void {
    if (this.#columns.has(source)) return;
    const engine = lakeWriteEngine(this.lake, source);
    const absent = this.lake.kind === 'local' && !localTableExists('.', source);
    try {
      if (absent) throw new Error(`${source}: no table yet`);
      this.session.query(`CREATE TABLE IF NOT EXISTS ${source} ENGINE = ${engine}`);
    } catch (error) {
      if (!create) throw error;
      this.session.query(lakeTableDDL(source, engine, this.promoted()[source]));
    }
    this.#columns.set(source, columnsOf(this.session, `TABLE ${source}`));
  }

  /** The promoted attributes of the source, each with a column in its table (added here when missing). */
  #promotedColumns(source: SourceName) {
    const columns = this.#columns.get(source)!;
    const wanted = this.promoted()[source] ?? [];
    for (const p of wanted) {
      if (columns.has(p.column)) continue;
      this.session.query(`ALTER TABLE ${source} ADD COLUMN ${promotedColumnDDL(p)} ${ICEBERG_WRITES}`);
      columns.add(p.column);
    }
    return wanted;
  }

  count(source: SourceName): number {
    if (!this.exists(source)) return 0;
    this.ensure(source);
    return Number(this.session.query(`SELECT count() FROM ${source}`, 'TSV').trim());
  }

  /** One Iceberg commit with every row of `payload` (its pieces in order). */
  async append(source: SourceName, payload: Buffer | readonly Buffer[], format: PayloadFormat = 'RowBinary'): Promise<void> {
    this.ensure(source);
    const promoted = this.#promotedColumns(source);
    const pieces = Buffer.isBuffer(payload) ? [payload] : payload;
    const staged = join(this.stagingDir, `${STAGED_PREFIX}${randomUUID()}.${format === 'RowBinary' ? 'bin' : 'jsonl'}`);
    try {
      const fd = openSync(staged, 'w');
      try {
        // writev takes at most IOV_MAX (1024) buffers a call
        for (let i = 0; i < pieces.length; i += 1024) {
          const chunk = pieces.slice(i, i + 1024);
          const bytes = chunk.reduce((n, b) => n + b.length, 0);
          const written = writevSync(fd, chunk);
          if (written !== bytes) throw new Error(`staging ${staged}: wrote ${written} of ${bytes} bytes`);
        }
      } finally {
        closeSync(fd);
      }
      const columns = [...sources[source].columns.map((c) => c.name), ...promoted.map((p) => p.column)].map(quoteIdent);
      await this.session.queryAsync(
        `INSERT INTO ${source} (${columns.join(', ')}) ` +
          `SELECT *${promoted.map((p) => `, ${attributeValue(p)}`).join('')} FROM file(${quoteString(staged)}, '${format}', ${quoteString(lakeColumns(source))}) ` +
          // sorted (the source's sortOrder): one kind of event lies together in each data file
          `${lakeSortClause(source)} ${ICEBERG_WRITES}`,
      );
    } finally {
      rmSync(staged, { force: true });
    }
  }
}
