/** `wrangler dev` (workerd) on a loopback port: the Worker builds, for tests and `hyb dev --worker`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { stopChild } from './child.ts';

const wrangler = resolve(import.meta.dirname, '../../node_modules/.bin/wrangler');

export const freePort = () =>
  new Promise<number>((resolvePort) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolvePort(port));
    });
  });

export interface WranglerDev {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything wrangler printed so far. */
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Runs `wrangler dev -c <config>… [args]` in `dir` on `port` (default: a free one) and resolves once it is ready. */
export async function wranglerDev(dir: string, configs: readonly string[], options: { port?: number; args?: readonly string[] } = {}): Promise<WranglerDev> {
  const port = options.port || (await freePort());
  // a devtools port of its own: two wrangler devs started at once would both take the default 9229
  const inspectorPort = await freePort();
  const args = ['dev', ...configs.flatMap((c) => ['-c', c]), '--port', String(port), '--ip', '127.0.0.1', '--inspector-port', String(inspectorPort)];
  const child = spawn(wrangler, [...args, '--show-interactive-dev-session=false', ...(options.args ?? [])], {
    cwd: dir,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Ready on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`wrangler dev exited with ${code}:\n${output}`)));
  });
  return {
    url,
    child,
    output: () => output,
    stop: () => stopChild(child),
  };
}
