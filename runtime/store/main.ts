/**
 * `hyb serve store`: the local ClickHouse-compatible store, chDB with a
 * persistent data directory behind the ClickHouse HTTP interface, on its own
 * process (one data directory per process, open through several connections).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Session } from 'chdb';
import type { HybConfig } from '../../schemas/config.ts';
import { enterLocalLake } from '../lake/location.ts';
import { listen } from '../serve.ts';
import { storeService } from './http.ts';

export interface ServeStoreOptions {
  readonly root: string;
  readonly config: HybConfig;
  readonly port?: number;
  readonly host?: string;
}

export function serveStore(options: ServeStoreOptions): Promise<string> {
  const { config } = options;
  const path = resolve(options.root, config.store.path);
  mkdirSync(path, { recursive: true });
  const stagingDir = join(path, 'user_files');
  mkdirSync(stagingDir, { recursive: true });
  // A local lake within the store's reach, as a ClickHouse server next to it
  // would have: hyb sync then has the store load files straight from it.
  enterLocalLake(options.root, config.lake);
  // Several connections to the one engine and data directory, so queries run side by side as on a server.
  const sessions = Array.from({ length: config.store.connections }, () => {
    const session = new Session(path, { connectionArgs: [`--user_files_path=${stagingDir}`] });
    // A ClickHouse server's HTTP default, which the clients expect: 64-bit integers as JSON strings.
    session.query('SET output_format_json_quote_64bit_integers = 1');
    return session;
  });
  const app = storeService(sessions, { username: config.clickhouse.username, password: config.clickhouse.password, stagingDir });
  return listen(app, {
    name: 'store',
    port: options.port ?? config.ports.store,
    host: options.host,
    detail: () => `(data: ${path}, ${sessions.length} connections)`,
    stop: () => sessions.forEach((s) => s.close()),
  });
}
