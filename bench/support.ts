import { cpSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const projectRoot = resolve(import.meta.dirname, '..');

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** A throwaway project with the compiler linked in and an empty metrics/. */
export function benchProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hyb-bench-'));
  for (const shared of ['compiler', 'schemas', 'runtime', 'node_modules', 'package.json']) symlinkSync(join(projectRoot, shared), join(dir, shared));
  cpSync(join(projectRoot, 'hyb.config.ts'), join(dir, 'hyb.config.ts'));
  mkdirSync(join(dir, 'metrics'));
  return dir;
}

export function progress(label: string, done: number, total: number): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
}
