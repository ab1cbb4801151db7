/**
 * The project's hyb.config.ts, loaded and validated. Kept apart from the
 * compiler so that the services, sync and seed start without loading it.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema, type HybConfig } from '../schemas/config.ts';
import { isConfig } from './dsl/define-config.ts';
import { HybError } from './diagnostics.ts';
import { importBundled } from './import-bundled.ts';

/** The last config read, by the file's path, size and mtime: a watch session rereads it only when it changed (esbuild and an import, ~20 ms). */
let lastRead: { stamp: string; config: HybConfig } | undefined;

/** The config as the file says now, or the embedded defaults where there is none. */
export async function loadConfig(root: string): Promise<HybConfig> {
  const path = join(root, 'hyb.config.ts');
  if (!existsSync(path)) return withOverrides(configSchema.parse({}), process.env.HYB_CONFIG_OVERRIDES);
  const { size, mtimeMs } = statSync(path);
  const stamp = `${path}\0${size}\0${mtimeMs}`;
  if (lastRead?.stamp !== stamp) {
    let mod: Record<string, unknown>;
    try {
      mod = await importBundled(root, `export { default } from ${JSON.stringify(path)};`);
    } catch (error) {
      throw new HybError('HYB_CONFIG', `cannot load hyb.config.ts: ${(error as Error).message}`, { cause: error });
    }
    if (!isConfig(mod.default)) throw new HybError('HYB_CONFIG', 'hyb.config.ts must `export default defineConfig({...})`');
    lastRead = { stamp, config: mod.default.config };
  }
  return withOverrides(lastRead.config, process.env.HYB_CONFIG_OVERRIDES);
}

/**
 * `hyb dev` hands its flags (ports, lake) to the processes it starts as
 * HYB_CONFIG_OVERRIDES, JSON: each top-level object is merged over the
 * config's, anything else replaces it.
 */
export function withOverrides(config: HybConfig, overrides: string | undefined): HybConfig {
  if (!overrides) return config;
  const merged: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(JSON.parse(overrides) as Record<string, unknown>)) {
    const base = merged[key];
    const mergeable = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    merged[key] = mergeable(base) && mergeable(value) && key !== 'lake' ? { ...(base as object), ...(value as object) } : value;
  }
  return configSchema.parse(merged);
}
