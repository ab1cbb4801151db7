import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { isMetric, type Metric } from './dsl/define-metric.ts';
import type { Diagnostic } from './diagnostics.ts';

export interface LoadedMetric {
  readonly file: string;
  readonly exportName: string;
  readonly metric: Metric;
}

export interface LoadResult {
  readonly metrics: LoadedMetric[];
  readonly diagnostics: Diagnostic[];
}

/** Metric files: `.ts` under the folder, not tests, not `_helpers.ts`. */
export async function listMetricFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.startsWith('_') && !/\.(test|spec)\.ts$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Where in `file` an import error points, from an esbuild message or a stack. */
function errorLocation(error: unknown, absolute: string): { line?: number; column?: number } {
  const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
  const escaped = absolute.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}(?:\\?[^:]*)?:(\\d+):(\\d+)`).exec(text);
  return match ? { line: Number(match[1]), column: Number(match[2]) } : {};
}

/**
 * Imports every metric file and keeps the exports that carry the metric
 * brand. A file that fails to import is a diagnostic, not the end of the run.
 * `version` busts the module cache so a watch rerun sees edits.
 */
export async function loadMetrics(root: string, dir: string, version = 0): Promise<LoadResult> {
  const metrics: LoadedMetric[] = [];
  const diagnostics: Diagnostic[] = [];
  // Stack traces of a throwing metric file point at its TypeScript lines.
  process.setSourceMapsEnabled(true);
  for (const absolute of await listMetricFiles(dir)) {
    const file = relative(root, absolute);
    let mod: Record<string, unknown>;
    try {
      // tsx everywhere (CLI and tests alike), so errors and locations read the same.
      mod = (await tsImport(`${pathToFileURL(absolute).href}${version ? `?v=${version}` : ''}`, import.meta.url)) as Record<string, unknown>;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // esbuild: "Transform failed with 1 error:\n<file>:5:30: ERROR: Expected …"
      const first = /ERROR: (.*)/.exec(message)?.[1] ?? message.split('\n').find((l) => l.trim()) ?? 'import failed';
      diagnostics.push({ code: 'HYB001', message: `cannot load metric file: ${first}`, file, path: [], ...errorLocation(error, absolute) });
      continue;
    }
    const found = Object.entries(mod).filter(([, value]) => isMetric(value));
    if (found.length === 0) {
      diagnostics.push({ code: 'HYB002', message: 'exports no metric: export const x = defineMetric({...})', file, path: [] });
    }
    for (const [exportName, value] of found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      metrics.push({ file, exportName, metric: value as Metric });
    }
  }
  return { metrics, diagnostics };
}
