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
 * The helper's code: it shares a batch with this thread, each taking
 * statements by index from one counter (Atomics.add hands each index to one
 * thread) until none is left, and sends back what it formatted.
 */
const helperSource = (dir: string) => `import { formatSql } from ${JSON.stringify(join(dir, 'format-sql.ts'))};
import { parentPort } from 'node:worker_threads';
parentPort.on('message', ({ sqls, next }) => {
  const out = [];
  for (let i = Atomics.add(next, 0, 1); i < sqls.length; i = Atomics.add(next, 0, 1)) out.push([i, formatSql(sqls[i])]);
  parentPort.postMessage(out);
});
`;

/**
 * Starts a second thread that shares the formatting of a large batch:
 * sql-formatter is CPU-bound and single-threaded, and a one-shot compile
 * has the other core free. It runs a self-contained esbuild bundle of
 * format-sql.ts (the same code, so the same output), built once into the
 * project's cache under the formatter's key; booted before the metrics
 * load, it is ready when the statements are. Anything wrong with it only
 * means formatting on this thread alone.
 */
export function bootFormatHelper(root: string): void {
  helper ??= (async () => {
    try {
      const entry = helperSource(fileURLToPath(new URL('.', import.meta.url)));
      const bundle = join(root, 'node_modules', '.cache', 'hyb', `format-helper-${formatterKey}-${sha1(entry).slice(0, 8)}.mjs`);
      if (!existsSync(bundle)) {
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

/**
 * The statements formatted, in order. With a helper thread (a batch of 64
 * or more), both threads take statements from one counter, so the helper
 * does more of them when this thread is busy elsewhere: `meanwhile` runs
 * here after the helper has started, before this thread joins in.
 */
async function formatMany(sqls: readonly string[], meanwhile: () => void): Promise<string[]> {
  // sql-formatter loads only when there is something to format (its ~130 ms overlap the metrics' bundling)
  const { formatSql } = await import('./format-sql.ts');
  const worker = sqls.length >= 64 && helper ? await helper : null;
  if (!worker) {
    meanwhile();
    return sqls.map(formatSql);
  }
  const next = new Int32Array(new SharedArrayBuffer(4));
  worker.ref();
  const theirs = new Promise<[number, string][]>((resolve, reject) => {
    const done = (error: Error | null, result?: [number, string][]) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.unref();
      if (error) reject(error);
      else resolve(result!);
    };
    const onMessage = (result: [number, string][]) => done(null, result);
    const onError = (error: Error) => done(error);
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
  worker.postMessage({ sqls, next });
  meanwhile();
  const out: (string | undefined)[] = new Array(sqls.length);
  for (let i = Atomics.add(next, 0, 1); i < sqls.length; i = Atomics.add(next, 0, 1)) out[i] = formatSql(sqls[i]!);
  try {
    const result = await theirs;
    for (const [i, text] of result) out[i] = text;
    helperStats.formatted += result.length;
  } catch {
    helper = Promise.resolve(null); // a broken helper: this thread formats from now on
  }
  return sqls.map((sql, i) => out[i] ?? formatSql(sql)); // what a broken helper took and did not return
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

/**
 * Formats every statement, in order; a missing or broken cache only means
 * more work. `meanwhile` is other work for this thread, run while the
 * helper thread formats (see formatMany).
 */
export async function formatAll(sqls: readonly string[], cache: FormatCache = { memory: new Map() }, meanwhile: () => void = () => {}): Promise<string[]> {
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
  const outs = await formatMany(todo, meanwhile);
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
