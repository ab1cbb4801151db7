/**
 * SQL formatting with sql-formatter, the slowest step of a compile (~1 ms a
 * statement; see format-sql.ts). Formatted statements are kept in memory (a
 * watch rerun formats only what changed) and on disk under
 * node_modules/.cache/hyb, keyed by the input and by everything that shapes
 * the output: the sql-formatter version and the source of format-sql.ts.
 *
 * Tried and measured on 2 cores, 500 metrics, and not kept: a helper thread
 * sharing the statements, booted with tsx (3.70 s vs 3.66 s without), and
 * booted early from an esbuild bundle (3.52 s vs 3.67 s, within run-to-run
 * noise) — not worth its 80 lines.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSql } from './format-sql.ts';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** What the output depends on besides the input. */
const formatterKey = sha1(
  `${(createRequire(import.meta.url)('sql-formatter/package.json') as { version: string }).version}\n` +
    readFileSync(fileURLToPath(new URL('./format-sql.ts', import.meta.url)), 'utf8'),
).slice(0, 12);
const cacheFile = (root: string) => join(root, 'node_modules', '.cache', 'hyb', `format-${formatterKey}.json`);

/**
 * What formatting keeps between compiles of one session. `memory` holds the
 * last batch (each batch replaces it, so it stays bounded); `root` enables
 * the disk cache, which is read and rewritten only while `memory` is empty,
 * i.e. on a session's first compile.
 */
export interface FormatCache {
  memory: Map<string, string>;
  readonly root?: string;
}

/** Formats every statement, in order; a missing or broken cache only means more work. */
export async function formatAll(sqls: readonly string[], cache: FormatCache = { memory: new Map() }): Promise<string[]> {
  const { memory, root } = cache;
  const useDisk = root !== undefined && memory.size === 0;
  let disk: Record<string, string> = {};
  if (useDisk) {
    const parsed: unknown = await readFile(cacheFile(root), 'utf8')
      .then(JSON.parse)
      .catch(() => null);
    if (parsed && typeof parsed === 'object') disk = parsed as Record<string, string>;
  }
  let formatted = 0;
  const next = new Map<string, string>();
  for (const sql of sqls) {
    if (next.has(sql)) continue;
    let out = memory.get(sql) ?? disk[sha1(sql)];
    if (typeof out !== 'string') {
      out = formatSql(sql);
      formatted += 1;
    }
    next.set(sql, out);
  }
  cache.memory = next;
  if (useDisk && formatted > 0) {
    const file = cacheFile(root);
    const entries = Object.fromEntries([...next].map(([sql, out]) => [sha1(sql), out]));
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(`${file}.${process.pid}`, JSON.stringify(entries));
    await rename(`${file}.${process.pid}`, file); // readers never see half a file
  }
  return sqls.map((sql) => next.get(sql)!);
}
