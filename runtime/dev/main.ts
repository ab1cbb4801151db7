/**
 * `hyb dev`: the whole stack on one command. Compiles; seeds an empty local
 * lake; starts the store, the chDB service, ingest, the router (Node, or the
 * Worker under `wrangler dev` with --worker) and a looping sync, each its own
 * process, restarted if it dies; migrates; prints where everything is. A
 * changed metric file recompiles, migrates and restarts the router, so the
 * dashboard shows it. Ctrl-C stops every process (ingest flushes) and exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { HybConfig } from '../../schemas/config.ts';
import { sourceNames } from '../../schemas/sources.ts';
import { writeDashboard } from '../dashboard/bundle.ts';
import { localLakePath, localTableExists } from '../lake/location.ts';
import { routerSettings } from '../router/settings.ts';
import { stopChild } from './child.ts';
import { wranglerDev, type WranglerDev } from './wrangler.ts';

export interface DevOptions {
  readonly root: string;
  /** hyb.config.ts with the flags applied (the same overrides every child gets). */
  readonly config: HybConfig;
  /** JSON handed to every child as HYB_CONFIG_OVERRIDES. */
  readonly overrides: string;
  readonly worker: boolean;
  readonly seed: { readonly days: number; readonly events: number };
  readonly syncEverySeconds: number;
}

const bin = resolve(import.meta.dirname, '../../bin/hyb.mjs');
const say = (line: string) => process.stderr.write(`${line}\n`);

/** One supervised child: `hyb <args>`, its stderr prefixed, restarted when it dies unasked. */
class Part {
  #child: ChildProcess | null = null;
  #stopping = false;
  #restarts: number[] = [];

  constructor(
    readonly name: string,
    private readonly args: readonly string[],
    private readonly options: DevOptions,
  ) {}

  /** Starts the process; resolves with the URL from its "listening on" line (or at once for a loop). */
  start(waitForListen = true): Promise<string | null> {
    this.#stopping = false;
    const child = spawn(process.execPath, [bin, ...this.args], {
      cwd: this.options.root,
      env: { ...process.env, HYB_CONFIG_OVERRIDES: this.options.overrides },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const prefix = (chunk: Buffer) => {
      for (const line of chunk.toString().split(/\r?\n|\r/)) {
        if (line.trim() && !/listening on http/.test(line)) say(`  ${this.name.padEnd(7)}│ ${line}`);
      }
    };
    child.stdout!.on('data', prefix);
    let listening: ((url: string) => void) | undefined;
    child.stderr!.on('data', (chunk: Buffer) => {
      const url = /listening on (http:\/\/\S+)/.exec(chunk.toString())?.[1];
      if (url && listening) listening(url);
      prefix(chunk);
    });
    child.once('exit', (code, signal) => {
      // A second's grace: on Ctrl-C the terminal signals every child too, and hyb dev's own stop comes next.
      setTimeout(() => {
        if (this.#stopping || this.#child !== child) return; // stopped, or already replaced by a new start
        const now = Date.now();
        this.#restarts = [...this.#restarts.filter((t) => now - t < 60_000), now];
        if (this.#restarts.length > 5) return say(`hyb dev: ${this.name} exited (${signal ?? code}) 5 times in a minute; not restarting it`);
        say(`hyb dev: ${this.name} exited (${signal ?? code}); restarting it`);
        void this.start(false);
      }, 1_000);
    });
    if (!waitForListen) return Promise.resolve(null);
    return new Promise((resolveUrl, reject) => {
      listening = resolveUrl;
      child.once('exit', (code) => reject(new Error(`${this.name} exited with ${code} before listening`)));
    });
  }

  /** SIGTERM, and SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs = 15_000): Promise<void> {
    this.#stopping = true;
    return this.#child ? stopChild(this.#child, graceMs) : Promise.resolve();
  }
}

/** `hyb <args>` to completion; its summary and progress (stderr) shown, its listing (stdout) not. True on success. */
function run(options: DevOptions, args: readonly string[]): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.root,
      env: { ...process.env, HYB_CONFIG_OVERRIDES: options.overrides },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('exit', (code) => done(code === 0));
  });
}

export async function dev(options: DevOptions): Promise<void> {
  const { root, config } = options;
  const started = performance.now();
  if (!(await run(options, ['compile']))) throw new Error('the metrics do not compile; fix them and run hyb dev again');

  const lake = config.lake.kind === 'local' ? localLakePath(root, config.lake) : null;
  if (lake && !sourceNames.some((s) => localTableExists(lake, s))) {
    say(`hyb dev: the lake at ${relative(root, lake) || lake} is empty; seeding ${options.seed.days} days of synthetic telemetry`);
    if (!(await run(options, ['seed', '--via', 'direct', '--days', String(options.seed.days), '--events', String(options.seed.events)]))) throw new Error('seeding failed');
  }

  const store = new Part('store', ['serve', 'store'], options);
  const chdb = new Part('chdb', ['serve', 'chdb'], options);
  const ingest = new Part('ingest', ['serve', 'ingest'], options);
  const sync = new Part('sync', ['sync', '--every', String(options.syncEverySeconds)], options);
  const router = new Part('router', ['serve', 'router'], options);
  let worker: WranglerDev | null = null;
  const parts = [router, sync, ingest, chdb, store];

  let stopping: Promise<void> | null = null;
  const watchers: FSWatcher[] = [];
  const stop = () =>
    (stopping ??= (async () => {
      say('\nhyb dev: stopping (ingest flushes to the lake first)');
      for (const w of watchers) w.close();
      await worker?.stop();
      // the router and sync first, so nothing queries what is going away; ingest flushes on SIGTERM
      for (const part of parts) await part.stop();
      say('hyb dev: stopped');
    })());
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));

  try {
    const [storeUrl, chdbUrl] = await Promise.all([store.start(), chdb.start()]);
    if (!(await run(options, ['migrate']))) throw new Error('hyb migrate failed');
    await run(options, ['sync']);
    const ingestUrl = await ingest.start();
    await sync.start(false);
    let routerUrl: string;
    if (options.worker) {
      const assets = join(root, '.hyb/dashboard');
      await writeDashboard(root, assets);
      const settings = routerSettings(config);
      worker = await wranglerDev(root, ['generated/router/wrangler.jsonc'], {
        port: config.ports.router,
        args: ['--assets', assets, '--var', `HYB_ROUTER:${JSON.stringify(settings)}`],
      });
      routerUrl = worker.url.replace(/\/$/, '');
    } else {
      routerUrl = (await router.start())!;
    }
    say(
      [
        '',
        `hyb dev: ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
        `  dashboard   ${routerUrl}/`,
        `  router      ${routerUrl}  (POST /query, GET /queries, GET /health${options.worker ? '; the Worker under wrangler dev' : ''})`,
        `  ingest      ${ingestUrl}  (OTLP/HTTP: /v1/logs, /v1/traces, /v1/metrics)`,
        `  chDB        ${chdbUrl}  (the lake: ${lake ? relative(process.cwd(), lake) || lake : config.lake.kind})`,
        `  ClickHouse  ${storeUrl}  (local store, synced every ${options.syncEverySeconds} s)`,
        'try:',
        '  npx hyb query top_pages --range 7d',
        '  edit or add a file in metrics/: it compiles, migrates and appears on the dashboard',
        '  Ctrl-C stops everything',
        '',
      ].join('\n'),
    );
  } catch (error) {
    await stop();
    throw error;
  }

  // metrics/ changed: compile, migrate (new MV versions backfill), and reload the router's table and page.
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  const recompile = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      chain = chain.then(async () => {
        if (stopping) return;
        say('hyb dev: metrics changed; compiling');
        // A newly read attribute needs no restart: the ingest adds its lake column at its
        // next commit, the chDB service remakes its views at the first query that names it.
        if (!(await run(options, ['compile']))) return say('hyb dev: fix the errors above; the running stack is unchanged');
        if (!(await run(options, ['migrate']))) return say('hyb dev: migrate failed; the router keeps the previous metrics');
        if (options.worker) await writeDashboard(root, join(root, '.hyb/dashboard')); // wrangler reloads the Worker itself
        else {
          await router.stop();
          await router.start();
        }
        say('hyb dev: up to date; the dashboard picks the change up within 5 s');
      });
    }, 200);
  };
  watchers.push(watch(join(root, 'metrics'), { recursive: true }, recompile));
  await new Promise(() => {});
}
