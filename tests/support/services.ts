import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild } from '../../runtime/dev/child.ts';
import { hybBackground, scratchProject } from './project.ts';

/** A scratch project whose hyb.config.ts points at `lake` (a local folder), plus `config`. */
export function projectWithLake(lake: string, config: Record<string, unknown> = {}): string {
  return projectWithConfig({ ...config, lake: { kind: 'local', path: lake } });
}

/** A scratch project whose lake is `config.lake` (e.g. S3), plus the rest of `config`. */
export function projectWithConfig(config: Record<string, unknown>): string {
  const dir = scratchProject();
  writeFileSync(join(dir, 'hyb.config.ts'), `import { defineConfig } from './compiler/dsl/index.ts';\nexport default defineConfig(${JSON.stringify(config)});\n`);
  return dir;
}

/** Polls `probe` until it returns a value `done` accepts; the last value otherwise. */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    value = await probe();
  }
  return value;
}

export interface RunningService {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stderr: () => string;
  stop(): Promise<void>;
}

/** Starts `hyb serve <args>` on `port` (default: a free one) and waits for its "listening on" line. */
export async function startService(args: readonly string[], cwd: string, env: Record<string, string> = {}, port = 0): Promise<RunningService> {
  const child = hybBackground(['serve', ...args, '--port', String(port)], cwd, env);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hyb serve ${args.join(' ')} did not start:\n${stderr}`)), 30_000);
    child.stderr!.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`hyb serve ${args.join(' ')} exited with ${code}:\n${stderr}`)));
  });
  return {
    url,
    child,
    stderr: () => stderr,
    stop: () => stopChild(child),
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}
