/**
 * Imports the project's own TypeScript (hyb.config.ts, the metric files)
 * without a loader hook: esbuild bundles it, packages left as imports, and
 * Node imports the bundle. So `hyb compile`, which runs as a plain JS bundle
 * (bin/hyb.mjs), loads them with no tsx, and every command loads the config
 * the same way.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * The module `contents` (TypeScript, imports resolved from `root`) exports.
 * Throws esbuild's error (which names file:line:col) or what evaluating it threw.
 */
export async function importBundled(root: string, contents: string): Promise<Record<string, unknown>> {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: '<hyb>' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  // Inside the project, so the bundle's package imports resolve from its node_modules as the source's would.
  const cache = join(root, 'node_modules', '.cache', 'hyb');
  const bundle = join(cache, `import-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.mjs`);
  await mkdir(cache, { recursive: true });
  await writeFile(bundle, result.outputFiles[0]!.text);
  try {
    return (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
  } finally {
    await rm(bundle, { force: true });
  }
}
