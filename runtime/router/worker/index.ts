/**
 * The router as a Cloudflare Worker. Settings arrive as the HYB_ROUTER var
 * (written by `hyb compile` into generated/router/wrangler.jsonc from
 * hyb.config.ts), tokens and passwords as secrets. One app per isolate, so
 * the endpoints' health is cached across the requests it serves.
 */
import type { ExecutionContext } from 'hono';
import { routerTable } from '../../../generated/router-table.ts';
import { routerApp, type RouterApp, type RouterEntry } from '../app.ts';
import { routerOptions, type RouterSettings } from '../settings.ts';

interface Env {
  /** An object from wrangler.jsonc, or JSON text from `wrangler dev --var` (as `hyb dev --worker` passes it). */
  readonly HYB_ROUTER: RouterSettings | string;
  readonly [secret: string]: unknown;
}

let app: RouterApp | undefined;

export default {
  fetch(request: Request, env: Env, context: ExecutionContext): Response | Promise<Response> {
    if (!app) {
      const settings = typeof env.HYB_ROUTER === 'string' ? (JSON.parse(env.HYB_ROUTER) as RouterSettings) : env.HYB_ROUTER;
      app = routerApp(routerOptions(settings, routerTable as unknown as Record<string, RouterEntry>, env as Record<string, string | undefined>));
    }
    const router = app;
    const response = router.fetch(request, env, context);
    // A health check a request starts goes on after its answer (and the
    // warming the check starts): workerd cancels the request's I/O once it is
    // answered unless told to wait, and a check cut off never settles, so no
    // other would start.
    context.waitUntil(Promise.resolve(response).then(router.settled, router.settled));
    return response;
  },
};
