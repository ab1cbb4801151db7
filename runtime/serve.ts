/**
 * Runs a Hono app as a `hyb serve <name>` process: listens, says where on
 * stderr (tests and `hyb dev` read that line), and on SIGINT/SIGTERM stops
 * accepting, runs `stop` (flushes, closes the chDB session) and exits.
 */
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface Listen {
  readonly name: string;
  readonly port: number;
  readonly host?: string;
  /** Said after the URL, e.g. "(lake: local)". */
  readonly detail?: () => string;
  readonly stop: () => void | Promise<void>;
}

/** Resolves with the bound URL once listening. */
export function listen(app: Hono, options: Listen): Promise<string> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolveUrl) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: host }, (info) => {
      const url = `http://${host}:${info.port}`;
      process.stderr.write(`hyb serve ${options.name}: listening on ${url}${options.detail ? ` ${options.detail()}` : ''}\n`);
      resolveUrl(url);
    });
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      server.close();
      await options.stop();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });
}
