/**
 * `hyb serve chdb`: the chDB query service on its own process (chDB keeps one
 * session per process, and a local lake makes the process move into it).
 */
import type { HybConfig } from '../../schemas/config.ts';
import { listen } from '../serve.ts';
import { LakeEngine } from './engine.ts';
import { chdbService } from './service.ts';

export interface ServeOptions {
  readonly root: string;
  readonly config: HybConfig;
  readonly port?: number;
  readonly host?: string;
  readonly token?: string;
}

/** Serves until SIGINT/SIGTERM; resolves with the bound URL once listening. */
export function serveChdb(options: ServeOptions): Promise<string> {
  const engine = LakeEngine.open(options.root, options.config);
  const app = chdbService(engine, { token: options.token });
  return listen(app, {
    name: 'chdb',
    port: options.port ?? options.config.ports.chdb,
    host: options.host,
    detail: () => `(lake: ${options.config.lake.kind}, sources: ${engine.present.join(', ') || 'none yet'})`,
    stop: () => engine.close(),
  });
}
