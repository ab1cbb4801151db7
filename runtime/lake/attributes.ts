/**
 * The promoted attributes of a project (compiler/sql/promoted.ts), as
 * `hyb compile` wrote them to `generated/lake/attributes.json`: the lake's
 * writers fill a column per attribute, its readers read them. A project
 * that was never compiled promotes nothing.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Session } from 'chdb';
import type { PromotedAttributes } from '../../compiler/sql/promoted.ts';
import { quoteIdent } from '../../compiler/sql/expr.ts';
import { lakeViewDDL } from '../../compiler/sql/sources.ts';
import { sourceNames, type SourceName } from '../../schemas/sources.ts';

export const ATTRIBUTES_FILE = 'generated/lake/attributes.json';

const attribute = z.object({ map: z.string().min(1), key: z.string(), column: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) });
const fileSchema = z.partialRecord(z.enum(sourceNames as [string, ...string[]]), z.array(attribute));

/** The project's promoted attributes; none when it has no compiled file. */
export function readPromoted(root: string): PromotedAttributes {
  const path = join(root, ATTRIBUTES_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  const parsed = fileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}; run hyb compile`);
  return parsed.data as PromotedAttributes;
}

/** `readPromoted`, read again only when the file changed: for long-running writers. */
export function watchPromoted(root: string): () => PromotedAttributes {
  let seen = '';
  let value: PromotedAttributes = {};
  return () => {
    let stamp = 'absent';
    try {
      const stat = statSync(join(root, ATTRIBUTES_FILE));
      stamp = `${stat.mtimeMs}:${stat.size}`;
    } catch {
      // no compiled file: nothing promoted
    }
    if (stamp !== seen) [seen, value] = [stamp, readPromoted(root)];
    return value;
  };
}

/**
 * Creates (or replaces) the view `database.source` over a lake table for
 * the fallback queries, with a plain column per promoted attribute
 * (sources.ts, `lakeViewDDL`). Which columns the table has is read from its
 * metadata, and which files lack one of them from the files: a file's
 * columns never change, and every file written since holds them all (the
 * writer adds a column before it writes a file without it), so the list
 * holds until the promoted attributes change, when the view is made again.
 */
export function createLakeView(session: Session, source: SourceName, database: string, tableFunction: string, promoted: PromotedAttributes): void {
  const columns = columnsOf(session, tableFunction);
  const inTable = (promoted[source] ?? []).filter((p) => columns.has(p.column));
  // Parquet null counts answer this for the newer files without reading them.
  const olderFiles = inTable.length
    ? session
        .query(`SELECT DISTINCT _path FROM ${tableFunction} WHERE ${inTable.map((p) => `${quoteIdent(p.column)} IS NULL`).join(' OR ')} ORDER BY _path`, 'TSVRaw')
        .toString()
        .split('\n')
        .filter(Boolean)
    : [];
  session.query(lakeViewDDL(source, database, tableFunction, promoted[source], { columns, olderFiles }));
}

/** The column names of a table (`DESCRIBE TABLE t`) or table function (`DESCRIBE f(…)`). */
export function columnsOf(session: Session, table: string): Set<string> {
  const described = session.query(`DESCRIBE ${table}`, 'TSV').toString();
  return new Set(described.split('\n').filter(Boolean).map((line) => line.split('\t', 1)[0]!));
}
