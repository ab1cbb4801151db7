import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configSchema, type HybConfig } from '../schemas/config.ts';
import { compileMetrics, type CompileResult } from './compile.ts';
import { isConfig } from './dsl/define-config.ts';
import { HybError, type Diagnostic } from './diagnostics.ts';
import { loadMetrics } from './load.ts';
import { locateDiagnostics } from './locate.ts';

export async function loadConfig(root: string, version = 0): Promise<HybConfig> {
  const path = join(root, 'hyb.config.ts');
  let mod: Record<string, unknown>;
  try {
    mod = await import(`${pathToFileURL(path).href}${version ? `?v=${version}` : ''}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes('hyb.config.ts')) return configSchema.parse({});
    throw new HybError('HYB_CONFIG', `cannot load hyb.config.ts: ${(error as Error).message}`, { cause: error });
  }
  if (!isConfig(mod.default)) throw new HybError('HYB_CONFIG', 'hyb.config.ts must `export default defineConfig({...})`');
  return mod.default.config;
}

export interface ProjectCompile extends Omit<CompileResult, 'diagnostics'> {
  readonly diagnostics: readonly Diagnostic[];
  readonly config: HybConfig;
}

/** Loads config and metrics from a project folder and compiles them; writes nothing. */
export async function compileProject(root: string, options: { version?: number; metricsDir?: string } = {}): Promise<ProjectCompile> {
  const config = await loadConfig(root, options.version);
  const loaded = await loadMetrics(root, options.metricsDir ?? join(root, 'metrics'), options.version);
  const result = compileMetrics(loaded.metrics, config);
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
  const stale: [string, string | null, string | null][] = [];
  for (const [path, content] of files) {
    const actual = await readFile(join(root, path), 'utf8').catch(() => null);
    if (actual !== content) stale.push([path, content, actual]);
  }
  for (const path of await listGenerated(root)) if (!files.has(path)) stale.push([path, null, await readFile(join(root, path), 'utf8')]);
  return stale;
}

/** Writes the compiled files and removes generated files no longer produced. */
export async function writeGenerated(root: string, files: ReadonlyMap<string, string>): Promise<number> {
  const stale = await staleFiles(root, files);
  for (const [path, content] of stale) {
    if (content === null) await rm(join(root, path));
    else {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
  }
  return stale.length;
}
