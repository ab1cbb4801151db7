import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ATTRIBUTES_FILE } from '../../runtime/lake/attributes.ts';
import { tempDir } from './lake.ts';

export const projectRoot = resolve(import.meta.dirname, '../..');
const bin = join(projectRoot, 'bin/hyb.mjs');

/**
 * A scratch copy of the project: its own metrics/, config and generated/,
 * with the compiler and node_modules linked, so CLI tests never touch ours.
 */
export function scratchProject(options: { metrics?: string } = {}): string {
  const dir = tempDir('project');
  for (const shared of ['compiler', 'schemas', 'runtime', 'node_modules', 'package.json']) {
    symlinkSync(join(projectRoot, shared), join(dir, shared));
  }
  cpSync(options.metrics ?? join(projectRoot, 'metrics'), join(dir, 'metrics'), { recursive: true });
  cpSync(join(projectRoot, 'hyb.config.ts'), join(dir, 'hyb.config.ts'));
  // The services of a project read the attributes its compile promoted (runtime/lake/attributes.ts);
  // the tests' lakes and queries are this repository's, so its scratch copies start with the same.
  mkdirSync(join(dir, 'generated/lake'), { recursive: true });
  cpSync(join(projectRoot, ATTRIBUTES_FILE), join(dir, ATTRIBUTES_FILE));
  return dir;
}

export function hyb(args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export function hybBackground(args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  return spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}
