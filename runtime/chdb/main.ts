/**
 * `hyb serve chdb`: the chDB query service on its own process (chDB keeps one
 * session per process, and a local lake makes the process move into it).
 */
import { serve } from '@hono/node-server';
import type { HybConfig } from '../../schemas/config.ts';
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
  return new Promise((resolveUrl) => {
    const server = serve({ fetch: app.fetch, port: options.port ?? options.config.ports.chdb, hostname: options.host ?? '127.0.0.1' }, (info) => {
      const url = `http://${options.host ?? '127.0.0.1'}:${info.port}`;
      process.stderr.write(`hyb serve chdb: listening on ${url} (lake: ${options.config.lake.kind}, sources: ${engine.present.join(', ') || 'none yet'})\n`);
      resolveUrl(url);
    });
    const stop = () => {
      server.close();
      engine.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
