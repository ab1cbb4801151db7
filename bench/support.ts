import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stopChild } from '../runtime/dev/child.ts';
import { ATTRIBUTES_FILE } from '../runtime/lake/attributes.ts';

export const projectRoot = resolve(import.meta.dirname, '..');

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const tempDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the system's temp folder, removed when this process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** A throwaway project with the compiler linked in and an empty metrics/ (removed at exit). */
export function benchProject(): string {
  const dir = tempDir('hyb-bench-');
  for (const shared of ['compiler', 'schemas', 'runtime', 'node_modules', 'package.json']) symlinkSync(join(projectRoot, shared), join(dir, shared));
  cpSync(join(projectRoot, 'hyb.config.ts'), join(dir, 'hyb.config.ts'));
  mkdirSync(join(dir, 'metrics'));
  // the attributes this repository's metrics promote: its services write and read the lake as ours do
  mkdirSync(join(dir, 'generated/lake'), { recursive: true });
  cpSync(join(projectRoot, ATTRIBUTES_FILE), join(dir, ATTRIBUTES_FILE));
  return dir;
}

export function progress(label: string, done: number, total: number): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
}

/** Starts `hyb serve …` on a free port; resolves once it says where it listens. `stop()` waits for its exit (after its final flush). */
export async function startHyb(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin/hyb.mjs'), 'serve', ...args, '--port', '0'], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (\S+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`hyb serve ${args.join(' ')} exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    stop: () => stopChild(child),
  };
}

/** Writes a bench project's hyb.config.ts: `config` is what defineConfig gets. */
export function writeConfig(dir: string, config: object): void {
  writeFileSync(join(dir, 'hyb.config.ts'), `import { defineConfig } from './compiler/dsl/index.ts';\nexport default defineConfig(${JSON.stringify(config)});\n`);
}

/** The bench lake's own config (bench/fallback.ts): its lake, no ClickHouse. */
export const BENCH_LAKE_CONFIG = { lake: { kind: 'local', path: 'lake' } } as const;

let spreadParent: string | undefined;
/**
 * The folder fresh stores are made in, flagged for ext4's Orlov allocator to
 * place each folder made in it in a block group of its own choosing
 * (`chattr +T`). Without it, a new store lands where the store before it was
 * just deleted, and ext4 without a journal (this VM's root) checks, on every
 * file it creates, each inode freed there in the last one to six minutes
 * before passing over it: syncs right after the previous run's store was
 * removed took 12.5-13.1 s, against 7.6-8.6 s under the flagged folder and
 * 7.7-8.5 s on tmpfs (bench/RESULTS.md, Sync). On other filesystems chattr
 * fails and nothing changes.
 */
function storesParent(): string {
  if (spreadParent === undefined) {
    spreadParent = tempDir('hyb-bench-stores-');
    spawnSync('chattr', ['+T', spreadParent], { stdio: 'ignore' });
  }
  return spreadParent;
}

/**
 * Runs `work` with the bench lake project `dir` pointed at a fresh local
 * store (`hyb serve store`, its URL as `clickhouse.url`); afterwards the
 * store is stopped and removed (a synced one is ~0.5 GB) and the project's
 * config is the lake's own again.
 */
export async function withFreshStore<T>(dir: string, work: (url: string) => T | Promise<T>): Promise<T> {
  const path = mkdtempSync(join(storesParent(), 'store-'));
  writeConfig(dir, { ...BENCH_LAKE_CONFIG, store: { path } });
  const store = await startHyb(['store'], dir);
  writeConfig(dir, { ...BENCH_LAKE_CONFIG, store: { path }, clickhouse: { url: store.url } });
  try {
    return await work(store.url);
  } finally {
    await store.stop();
    rmSync(path, { recursive: true, force: true });
    writeConfig(dir, BENCH_LAKE_CONFIG);
  }
}

/**
 * Seeds the 10 M-event lake of bench/fallback.ts when it is missing or was
 * seeded for other promoted attributes; a quick check otherwise.
 */
export function ensureBenchLake(): void {
  const seed = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench/fallback.ts')], { stdio: 'inherit', env: { ...process.env, SEED_ONLY: '1' } });
  if (seed.status !== 0) process.exit(1);
}
