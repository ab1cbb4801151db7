import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { HybConfig } from '../schemas/config.ts';
import { CompileCache, compileMetrics, type CompileResult } from './compile.ts';
import { loadConfig } from './config.ts';
import type { Diagnostic } from './diagnostics.ts';
import { bootFormatHelper } from './format.ts';
import { loadMetrics, type MetricLoader } from './load.ts';
import { locateDiagnostics } from './locate.ts';

export interface ProjectCompile extends Omit<CompileResult, 'diagnostics'> {
  readonly diagnostics: readonly Diagnostic[];
  readonly config: HybConfig;
}

/**
 * Loads config and metrics from a project folder and compiles them; writes
 * nothing. A watch session passes the same `loader` and `cache` each time
 * (only changed files re-import and re-compile); the config is read afresh.
 */
export async function compileProject(
  root: string,
  options: { metricsDir?: string; loader?: MetricLoader; cache?: CompileCache } = {},
): Promise<ProjectCompile> {
  if (!options.loader) bootFormatHelper(root); // one-shot: the formatting thread boots while the metrics load
  const config = await loadConfig(root);
  const dir = options.metricsDir ?? join(root, 'metrics');
  const loaded = options.loader ? await options.loader.load(root, dir) : await loadMetrics(root, dir);
  const result = await compileMetrics(loaded.metrics, config, options.cache ?? new CompileCache(root));
  const diagnostics = await locateDiagnostics(root, [...loaded.diagnostics, ...result.diagnostics]);
  return { ...result, diagnostics, config };
}

async function listGenerated(root: string): Promise<string[]> {
  const dir = join(root, 'generated');
  try {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)));
  } catch {
    return [];
  }
}

/** Files that differ between `generated/` and a fresh compile: [path, expected or null, actual or null]. */
export async function staleFiles(root: string, files: ReadonlyMap<string, string>): Promise<[string, string | null, string | null][]> {
  const read = (path: string) => readFile(join(root, path), 'utf8').catch(() => null);
  const compared = await Promise.all([...files].map(async ([path, content]) => [path, content, await read(path)] as [string, string, string | null]));
  const stale: [string, string | null, string | null][] = compared.filter(([, content, actual]) => actual !== content);
  for (const path of await listGenerated(root)) if (!files.has(path)) stale.push([path, null, await read(path)]);
  return stale;
}

/**
 * Writes the compiled files and removes generated files no longer produced.
 * `written`, what an earlier call in this process wrote, stands in for reading
 * `generated/` back (a watch rerun); it is updated to `files`.
 */
export async function writeGenerated(root: string, files: ReadonlyMap<string, string>, written?: Map<string, string>): Promise<number> {
  const stale: [string, string | null, string | null][] =
    written && written.size > 0
      ? [
          ...[...files].filter(([path, content]) => written.get(path) !== content).map(([path, content]) => [path, content, null] as [string, string, null]),
          ...[...written.keys()].filter((path) => !files.has(path)).map((path) => [path, null, null] as [string, null, null]),
        ]
      : await staleFiles(root, files);
  if (written) {
    written.clear();
    for (const [path, content] of files) written.set(path, content);
  }
  for (const [path, content] of stale) {
    if (content === null) await rm(join(root, path));
    else {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
  }
  return stale.length;
}
