/** `wrangler dev` (workerd) on a free loopback port, for the Worker builds. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from './project.ts';

export const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

export interface WranglerDev {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Runs `wrangler dev -c <config>…` in `dir` and resolves once it is ready. */
export async function wranglerDev(dir: string, configs: readonly string[]): Promise<WranglerDev> {
  const port = await freePort();
  const child = spawn(join(projectRoot, 'node_modules/.bin/wrangler'), ['dev', ...configs.flatMap((c) => ['-c', c]), '--port', String(port), '--ip', '127.0.0.1', '--show-interactive-dev-session=false'], {
    cwd: dir,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Ready on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`wrangler dev exited with ${code}:\n${output}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
