// The CLI as an esbuild bundle (compiler/cli.ts and the modules it imports;
// packages stay imports), kept in node_modules/.cache/hyb and rebuilt when
// any of its sources changes. It runs without tsx's loader hook, which costs
// a compile ~0.3 s of start-up (resolving and transforming each module
// through the hook's thread). Plain JavaScript: it runs before any loader.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cache = join(root, 'node_modules', '.cache', 'hyb');
const manifest = join(cache, 'cli-bundle.json');
const self = 'bin/cli-bundle.mjs'; // a change to how the bundle is built is a change to the bundle

/** What the bundle's sources are now: path, size and mtime of each (any edit changes it). */
function keyOf(inputs) {
  const hash = createHash('sha1');
  for (const input of inputs) {
    const { size, mtimeMs } = statSync(join(root, input));
    hash.update(`${input}\0${size}\0${mtimeMs}\n`);
  }
  return hash.digest('hex').slice(0, 12);
}

/**
 * Bundled modules keep their own file's `import.meta.url` and `.dirname`
 * (format.ts reads format-sql.ts beside it; dev finds bin/hyb.mjs), not the
 * bundle's.
 */
const ownMeta = {
  name: 'own-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.tsx?$/ }, async ({ path }) => ({
      contents: (await readFile(path, 'utf8'))
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(path))),
      loader: path.endsWith('.tsx') ? 'tsx' : 'ts',
    }));
  },
};

async function build() {
  const { build } = await import('esbuild');
  const started = Date.now();
  const outdir = join(cache, `cli-build-${process.pid}`);
  const result = await build({
    entryPoints: ['compiler/cli.ts'],
    absWorkingDir: root,
    bundle: true,
    // What cli.ts imports lazily (the services' modules and their packages: chdb, hono, …) stays in chunks a compile never loads.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    metafile: true,
    outdir,
    logLevel: 'silent',
    plugins: [ownMeta],
  });
  const inputs = [...Object.keys(result.metafile.inputs), self].sort();
  // A source edited while esbuild read it: use this build once, remember nothing.
  if (!inputs.every((input) => statSync(join(root, input)).mtimeMs < started)) return outdir;
  const key = keyOf(inputs);
  const dir = join(cache, `cli-${key}`);
  try {
    await rename(outdir, dir);
  } catch (error) {
    if (!existsSync(dir)) throw error;
    await rm(outdir, { recursive: true, force: true }); // another process built the same meanwhile
  }
  await writeFile(`${manifest}.${process.pid}`, JSON.stringify({ key, inputs }));
  await rename(`${manifest}.${process.pid}`, manifest); // readers never see half a file
  await pruneOlderThan(dir, 24 * 3600_000);
  return dir;
}

/** Removes earlier bundles; a day on, no running compile should still load a chunk from one. */
async function pruneOlderThan(keep, ms) {
  for (const name of await readdir(cache)) {
    const dir = join(cache, name);
    if (!/^cli-(build-)?[0-9a-f]+$/.test(name) || dir === keep) continue;
    const { mtimeMs } = await stat(dir).catch(() => ({ mtimeMs: Date.now() }));
    if (Date.now() - mtimeMs > ms) await rm(dir, { recursive: true, force: true });
  }
}

/** The URL of the bundle's entry, built first when missing or stale. */
export async function cliBundle() {
  let dir;
  try {
    const { key, inputs } = JSON.parse(readFileSync(manifest, 'utf8'));
    if (keyOf(inputs) === key) dir = join(cache, `cli-${key}`);
  } catch {
    // no bundle yet, or a source was removed
  }
  if (!dir || !existsSync(join(dir, 'cli.js'))) {
    await mkdir(cache, { recursive: true });
    dir = await build();
  }
  return pathToFileURL(join(dir, 'cli.js')).href;
}
