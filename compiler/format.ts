/**
 * SQL formatting with sql-formatter, the slowest step of a compile (~1 ms a
 * statement; see format-sql.ts). Formatted statements are kept in memory (a
 * watch rerun formats only what changed) and on disk under
 * node_modules/.cache/hyb, keyed by the input and by everything that shapes
 * the output: the sql-formatter version and the source of format-sql.ts. A
 * one-shot compile formats a large batch on two threads (bootFormatHelper).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { formatSql } from './format-sql.ts';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** What the output depends on besides the input. */
const formatterKey = sha1(
  `${(createRequire(import.meta.url)('sql-formatter/package.json') as { version: string }).version}\n` +
    readFileSync(fileURLToPath(new URL('./format-sql.ts', import.meta.url)), 'utf8'),
).slice(0, 12);
const cacheFile = (root: string) => join(root, 'node_modules', '.cache', 'hyb', `format-${formatterKey}.json`);

let helper: Promise<Worker | null> | undefined;
/** Statements the helper thread has formatted in this process (tests check it took part). */
export const helperStats = { formatted: 0 };

/**
 * Starts a second thread that formats half of a large batch: sql-formatter
 * is CPU-bound and single-threaded, and a one-shot compile has the other
 * core free. It runs a self-contained esbuild bundle of format-sql.ts (the
 * same code, so the same output), built once into the project's cache
 * under the formatter's key; booted before the metrics load, it is ready
 * when the statements are. Anything wrong with it only means formatting on
 * this thread alone.
 */
export function bootFormatHelper(root: string): void {
  helper ??= (async () => {
    try {
      const bundle = join(root, 'node_modules', '.cache', 'hyb', `format-helper-${formatterKey}.mjs`);
      if (!existsSync(bundle)) {
        const source = fileURLToPath(new URL('./format-sql.ts', import.meta.url));
        const entry = `import { formatSql } from ${JSON.stringify(source)};\nimport { parentPort } from 'node:worker_threads';\nparentPort.on('message', (sqls) => parentPort.postMessage(sqls.map(formatSql)));\n`;
        await build({ stdin: { contents: entry, resolveDir: root, loader: 'ts' }, bundle: true, format: 'esm', platform: 'node', outfile: `${bundle}.${process.pid}`, logLevel: 'silent' });
        await rename(`${bundle}.${process.pid}`, bundle); // readers never see half a file
      }
      const worker = new Worker(bundle);
      worker.unref(); // referenced only while it holds work
      return worker;
    } catch {
      return null;
    }
  })();
}

/** The statements formatted, half of a large batch on the helper thread when there is one. */
async function formatMany(sqls: readonly string[]): Promise<string[]> {
  const worker = sqls.length >= 64 && helper ? await helper : null;
  if (!worker) return sqls.map(formatSql);
  const half = Math.floor(sqls.length / 2);
  worker.ref();
  const theirs = new Promise<string[]>((resolve, reject) => {
    const done = (error: Error | null, result?: string[]) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.unref();
      if (error) reject(error);
      else resolve(result!);
    };
    const onMessage = (result: string[]) => done(null, result);
    const onError = (error: Error) => done(error);
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
  worker.postMessage(sqls.slice(half));
  const mine = sqls.slice(0, half).map(formatSql);
  try {
    const result = [...mine, ...(await theirs)];
    helperStats.formatted += sqls.length - half;
    return result;
  } catch {
    helper = Promise.resolve(null); // a broken helper: this thread formats from now on
    return [...mine, ...sqls.slice(half).map(formatSql)];
  }
}

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
  const next = new Map<string, string>();
  const todo: string[] = [];
  for (const sql of sqls) {
    if (next.has(sql)) continue;
    const out = memory.get(sql) ?? disk[sha1(sql)];
    if (typeof out === 'string') next.set(sql, out);
    else {
      next.set(sql, '');
      todo.push(sql);
    }
  }
  const outs = await formatMany(todo);
  for (const [i, sql] of todo.entries()) next.set(sql, outs[i]!);
  cache.memory = next;
  if (useDisk && todo.length > 0) {
    const file = cacheFile(root);
    const entries = Object.fromEntries([...next].map(([sql, out]) => [sha1(sql), out]));
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(`${file}.${process.pid}`, JSON.stringify(entries));
    await rename(`${file}.${process.pid}`, file); // readers never see half a file
  }
  return sqls.map((sql) => next.get(sql)!);
}
