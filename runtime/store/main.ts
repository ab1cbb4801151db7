/**
 * `hyb serve store`: the local ClickHouse-compatible store, a chDB session
 * with a persistent data directory behind the ClickHouse HTTP interface, on
 * its own process (one chDB session per process).
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
  const session = new Session(path, { connectionArgs: [`--user_files_path=${stagingDir}`] });
  // A ClickHouse server's HTTP default, which the clients expect: 64-bit integers as JSON strings.
  session.query('SET output_format_json_quote_64bit_integers = 1');
  const app = storeService(session, { username: config.clickhouse.username, password: config.clickhouse.password, stagingDir });
  return listen(app, { name: 'store', port: options.port ?? config.ports.store, host: options.host, detail: () => `(data: ${path})`, stop: () => session.close() });
}
