// `hyb compile` runs from a cached esbuild bundle of the CLI (bin/cli-bundle.mjs):
// it must be rebuilt whenever a source changes, and reused otherwise.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/lake.ts';
import { projectRoot } from './support/project.ts';

/** A copy of hyb's own sources with a node_modules of its own (links to ours), so its bundle cache is its own. */
function hybCopy(): string {
  const dir = tempDir('hyb-copy');
  for (const part of ['bin', 'compiler', 'schemas', 'runtime', 'metrics', 'generated']) cpSync(join(projectRoot, part), join(dir, part), { recursive: true });
  for (const file of ['hyb.config.ts', 'package.json']) cpSync(join(projectRoot, file), join(dir, file));
  mkdirSync(join(dir, 'node_modules'));
  for (const entry of readdirSync(join(projectRoot, 'node_modules'))) {
    if (entry !== '.cache') symlinkSync(join(projectRoot, 'node_modules', entry), join(dir, 'node_modules', entry));
  }
  return dir;
}

const compile = (dir: string) => spawnSync(process.execPath, [join(dir, 'bin/hyb.mjs'), 'compile', '--check'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
const bundles = (dir: string) => readdirSync(join(dir, 'node_modules/.cache/hyb')).filter((name) => /^cli-[0-9a-f]+$/.test(name));

describe('the compile bundle', () => {
  it('is built once, reused while the sources stand, and rebuilt from an edited source', () => {
    const dir = hybCopy();
    const first = compile(dir);
    expect(first.stderr).toContain('generated/ is up to date');
    expect(first.status).toBe(0);
    const [built] = bundles(dir);
    expect(bundles(dir)).toEqual([built]);
    const builtAt = statSync(join(dir, 'node_modules/.cache/hyb', built!, 'cli.js')).mtimeMs;

    expect(compile(dir).status).toBe(0);
    expect(bundles(dir)).toEqual([built]);
    expect(statSync(join(dir, 'node_modules/.cache/hyb', built!, 'cli.js')).mtimeMs).toBe(builtAt);

    // an edit in a module the CLI imports lazily (not cli.ts itself) shows in the next compile
    const file = join(dir, 'compiler/project.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nprocess.stderr.write('edited compiler\\n');\n`);
    const after = compile(dir);
    expect(after.stderr).toContain('edited compiler');
    expect(after.status).toBe(0);
    expect(bundles(dir)).toHaveLength(2);
    expect(bundles(dir)).toContain(built);
  }, 180_000);
});
