/**
 * The router as a Cloudflare Worker. Settings arrive as the HYB_ROUTER var
 * (written by `hyb compile` into generated/router/wrangler.jsonc from
 * hyb.config.ts), tokens and passwords as secrets. One app per isolate, so
 * the endpoints' health is cached across the requests it serves.
 */
import { routerTable } from '../../../generated/router-table.ts';
import { routerApp, type RouterApp, type RouterEntry } from '../app.ts';
import { routerOptions, type RouterSettings } from '../settings.ts';

interface Env {
  readonly HYB_ROUTER: RouterSettings;
  readonly [secret: string]: unknown;
}

let app: RouterApp | undefined;

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    app ??= routerApp(routerOptions(env.HYB_ROUTER, routerTable as unknown as Record<string, RouterEntry>, env as Record<string, string | undefined>));
    return app.fetch(request);
  },
};
