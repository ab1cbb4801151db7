/**
 * The router's settings: what hyb.config.ts says (also written into the
 * Worker's wrangler config as the HYB_ROUTER var) plus the secrets, which come
 * from the environment only: HYB_DASHBOARD_TOKENS and HYB_ADMIN_TOKENS
 * (comma-separated bearer tokens), HYB_CHDB_TOKEN, HYB_CLICKHOUSE_PASSWORD.
 */
import type { HybConfig } from '../../schemas/config.ts';
import type { RouterEntry, RouterOptions } from './app.ts';
import type { EndpointConfig } from './backends.ts';

/** Settings without secrets: safe to write into a config file. */
export interface RouterSettings {
  readonly endpoints: readonly EndpointConfig[];
  readonly chdbUrl: string;
  readonly healthIntervalSeconds: number;
  readonly maxStalenessSeconds: number;
  readonly corsOrigins: readonly string[];
  readonly mvTimeoutMs: number;
  readonly mvCacheEntries: number;
  readonly defaultRange: string;
}

export type Secrets = Readonly<Record<string, string | undefined>>;

export function routerSettings(config: HybConfig): RouterSettings {
  const { router, clickhouse } = config;
  const endpoints: EndpointConfig[] =
    router.endpoints.length > 0
      ? router.endpoints.map(({ password: _secret, ...e }) => e)
      : [{ name: 'default', url: clickhouse.url, username: clickhouse.username, database: clickhouse.database, preference: 0 }];
  return {
    endpoints,
    chdbUrl: router.chdbUrl ?? `http://127.0.0.1:${config.ports.chdb}`,
    healthIntervalSeconds: router.healthIntervalSeconds,
    maxStalenessSeconds: router.maxStalenessSeconds,
    corsOrigins: router.corsOrigins,
    mvTimeoutMs: router.mvTimeoutMs,
    mvCacheEntries: router.mvCacheEntries,
    defaultRange: router.defaultRange,
  };
}

const list = (value: string | undefined) => (value ?? '').split(',').map((t) => t.trim()).filter(Boolean);

/** Router options from settings, secrets and the generated table. Passwords: HYB_CLICKHOUSE_PASSWORD_<NAME>, else HYB_CLICKHOUSE_PASSWORD, else the config's. */
export function routerOptions(settings: RouterSettings, table: Readonly<Record<string, RouterEntry>>, secrets: Secrets, passwords: Readonly<Record<string, string>> = {}): RouterOptions {
  return {
    table,
    endpoints: settings.endpoints.map((e) => ({
      ...e,
      password: secrets[`HYB_CLICKHOUSE_PASSWORD_${e.name.toUpperCase().replace(/\W/g, '_')}`] ?? secrets.HYB_CLICKHOUSE_PASSWORD ?? passwords[e.name] ?? '',
    })),
    chdb: { url: settings.chdbUrl, token: secrets.HYB_CHDB_TOKEN || undefined },
    healthIntervalSeconds: settings.healthIntervalSeconds,
    maxStalenessSeconds: settings.maxStalenessSeconds,
    tokens: { dashboard: list(secrets.HYB_DASHBOARD_TOKENS), admin: list(secrets.HYB_ADMIN_TOKENS) },
    corsOrigins: settings.corsOrigins,
    mvTimeoutMs: settings.mvTimeoutMs,
    mvCacheEntries: settings.mvCacheEntries,
    defaultRange: settings.defaultRange,
  };
}

/** The passwords hyb.config.ts holds, by endpoint name (Node only; a Worker has secrets). */
export function configPasswords(config: HybConfig): Record<string, string> {
  return config.router.endpoints.length > 0
    ? Object.fromEntries(config.router.endpoints.map((e) => [e.name, e.password]))
    : { default: config.clickhouse.password };
}
