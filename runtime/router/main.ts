/**
 * `hyb serve router`: the router on Node, with the project's generated router
 * table and hyb.config.ts. Also serves the dashboard page at `/`.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { HybConfig } from '../../schemas/config.ts';
import { buildDashboard } from '../dashboard/bundle.ts';
import { listen } from '../serve.ts';
import { routerApp, type RouterEntry } from './app.ts';
import { configPasswords, routerOptions, routerSettings } from './settings.ts';

export interface ServeRouterOptions {
  readonly root: string;
  readonly config: HybConfig;
  readonly port?: number;
  readonly host?: string;
}

export async function serveRouter(options: ServeRouterOptions): Promise<string> {
  const { routerTable } = (await import(pathToFileURL(join(options.root, 'generated/router-table.ts')).href)) as { routerTable: Record<string, RouterEntry> };
  const settings = routerSettings(options.config);
  const app = routerApp(routerOptions(settings, routerTable, process.env, configPasswords(options.config)));
  // The dashboard page at `/`, built once at start from the project's generated hooks.
  const page = await buildDashboard(options.root);
  app.get('/', (c) => c.html(page.html));
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/dashboard.js', (c) => c.body(page.script, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
  return listen(app, {
    name: 'router',
    port: options.port ?? options.config.ports.router,
    host: options.host,
    detail: () => `(${Object.keys(routerTable).length} queries; ClickHouse: ${settings.endpoints.map((e) => e.url).join(', ')}; chDB: ${settings.chdbUrl})`,
    stop: () => app.close().then(() => undefined),
  });
}
