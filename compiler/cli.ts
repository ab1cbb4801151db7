import { watch } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic, HybError, type Diagnostic } from './diagnostics.ts';
import type { CompileCache } from './compile.ts';
import { loadConfig, withOverrides } from './config.ts';
import type { MetricLoader } from './load.ts';

const HELP = `hyb — metrics-as-code for ClickHouse and Iceberg

Usage: hyb <command> [options]

Commands:
  dev               the whole stack: compile, seed an empty lake, store + chDB + ingest + sync + router,
                    the dashboard at the router's /; recompiles and migrates when metrics/ changes
    --worker        run the router as the Worker under wrangler dev (workerd) instead of Node
    --lake DIR      a local lake folder (default: lake of hyb.config.ts)
    --port-router N, --port-ingest N, --port-chdb N, --port-store N   (default: ports of hyb.config.ts)
    --days N, --events N   what to seed into an empty lake (default 7 days, 200000 events)
    --sync-every S  seconds between syncs (default 30)
  query NAME        run a dashboard query through the router and print its rows and where they came from
    --range R       7d, 24h, 15m, 4w (default 7d); or --from ISO --to ISO
    --param k=v     a query parameter (repeatable)
    --via P         auto (default), mv or chdb
    --json          print the router's whole answer as JSON
    --url URL       the router (default: http://127.0.0.1:<ports.router>); HYB_DASHBOARD_TOKEN: its token
  compile           compile metrics/ into generated/
    --check         exit 1 with a diff when generated/ is stale; write nothing
    --watch         recompile whenever metrics/ or hyb.config.ts changes
    --json          print diagnostics as JSON
    --metrics DIR   the metric files (default: ROOT/metrics)
  serve ingest      the OTLP/HTTP receiver writing the lake (POST /v1/logs, /v1/traces, /v1/metrics)
  serve chdb        the chDB query service over the lake (POST /query, GET /health)
  serve store       the local ClickHouse-compatible store (ClickHouse HTTP interface, data in store.path)
  serve router      the query router (POST /query, GET /queries, GET /health, POST /sql): MV or chDB per request
    --port N        default: ports.ingest (4318) / chdb (8124) / store (8123) / router (8787) of hyb.config.ts; 0 picks a free one
    --host H        default: 127.0.0.1
                    HYB_CHDB_TOKEN: the chDB service's bearer token (it needs it; the router sends it)
                    HYB_INGEST_TOKEN: ingest's bearer token (hyb seed sends it)
                    HYB_DASHBOARD_TOKENS, HYB_ADMIN_TOKENS: the router's bearer tokens, comma-separated
  seed              synthetic web-app telemetry into the lake
    --days N        default 7, ending today
    --events N      about this many log records and spans (default 100000)
    --seed N        the generator's seed (default 1): same seed, same data
    --via otlp      protobuf to a running hyb serve ingest (default; --url to override)
    --via direct    straight into the Iceberg tables (fast; ingest must be stopped)
  migrate           create the ClickHouse objects the metrics declare, backfill new versions, drop superseded ones
    --plan          print what would be created; change nothing
    --drop-removed  also drop the objects of metrics no longer declared
    --wait S        wait up to S seconds for a running sync pass (default 120)
    --push          backfill by sending each file's rows from here, even to a server that reads the lake itself
  sync              load new lake data files into ClickHouse (exactly once)
    --backfill      empty the raw tables and rollups, reload the whole lake
    --every S       keep syncing, a pass every S seconds
    --push          send every file's rows from this process, even to a server that reads the lake itself
  help              this text

Options:
  --root DIR        the project folder (default: the current folder)
`;

function report(diagnostics: readonly Diagnostic[], json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify({ diagnostics }, null, 2)}\n`);
  else for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
}

/** What a watch keeps between compiles: loaded modules, compiled metrics, and what generated/ holds. */
interface WatchSession {
  readonly loader: MetricLoader;
  readonly cache: CompileCache;
  /** What generated/ holds: read at the first compile, then kept as each compile writes it. */
  onDisk?: Map<string, string>;
}

async function compileOnce(
  root: string,
  flags: { check: boolean; json: boolean; metrics?: string },
  session?: WatchSession,
): Promise<number> {
  const started = performance.now();
  // the compiler loads only for the commands that compile: the services and sync start without it
  const { compileProject, readGenerated, staleFiles, writeGenerated } = await import('./project.ts');
  const result = await compileProject(root, { loader: session?.loader, cache: session?.cache, metricsDir: flags.metrics && resolve(flags.metrics) });
  if (result.diagnostics.length > 0) {
    report(result.diagnostics, flags.json);
    process.stderr.write(`hyb compile: ${result.diagnostics.length} error(s); generated/ left as it was\n`);
    return 1;
  }
  if (flags.check) {
    const stale = staleFiles(result.files, readGenerated(root));
    const { createTwoFilesPatch } = await import('diff');
    for (const [path, expected, actual] of stale) {
      process.stdout.write(createTwoFilesPatch(`a/${path}`, `b/${path}`, actual ?? '', expected ?? ''));
    }
    if (stale.length > 0) {
      process.stderr.write(`hyb compile --check: ${stale.length} generated file(s) are stale; run hyb compile\n`);
      return 1;
    }
    if (!flags.json) process.stderr.write(`hyb compile --check: generated/ is up to date (${result.metrics.length} metrics)\n`);
    return 0;
  }
  const onDisk = session?.onDisk ?? readGenerated(root);
  if (session) session.onDisk = onDisk;
  const changed = writeGenerated(root, result.files, onDisk);
  const ms = (performance.now() - started).toFixed(0);
  if (flags.json) process.stdout.write(`${JSON.stringify({ diagnostics: [], metrics: result.metrics.length, changed })}\n`);
  else process.stderr.write(`hyb compile: ${result.metrics.length} metrics, ${changed} file(s) changed in ${ms} ms\n`);
  return 0;
}

async function compileCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      check: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      root: { type: 'string', default: '.' },
      metrics: { type: 'string' },
    },
  });
  const root = resolve(values.root);
  if (!values.watch) return compileOnce(root, values);

  // Watch before the first compile, so an edit made while it runs is not missed.
  const [{ MetricLoader }, { CompileCache }] = await Promise.all([import('./load.ts'), import('./compile.ts')]);
  const session: WatchSession = { loader: new MetricLoader(), cache: new CompileCache(root) };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const rerun = () => {
    clearTimeout(timer);
    // One compile at a time: a rerun waits for the one in flight.
    timer = setTimeout(() => (running = running.then(() => compileOnce(root, values, session))), 20);
  };
  watch(values.metrics ? resolve(values.metrics) : join(root, 'metrics'), { recursive: true }, rerun);
  watch(root, (_event, name) => name === 'hyb.config.ts' && rerun());
  running = compileOnce(root, values, session);
  await running;
  process.stderr.write('hyb compile --watch: watching metrics/ and hyb.config.ts\n');
  return new Promise(() => {});
}

/** A port number from a flag, or a usage error naming the flag. */
function portFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new HybError('HYB_USAGE', `--port: '${value}' is not a port number`);
  return port;
}

async function serveCommand(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { root: { type: 'string', default: '.' }, port: { type: 'string' }, host: { type: 'string' } },
  });
  const root = resolve(values.root);
  const config = await loadConfig(root);
  const port = portFlag(values.port);
  switch (positionals[0]) {
    case 'chdb': {
      const { serveChdb } = await import('../runtime/chdb/main.ts');
      await serveChdb({ root, config, port, host: values.host, token: process.env.HYB_CHDB_TOKEN || undefined });
      return new Promise(() => {});
    }
    case 'ingest': {
      const { serveIngest } = await import('../runtime/ingest/main.ts');
      await serveIngest({ root, config, port, host: values.host });
      return new Promise(() => {});
    }
    case 'router': {
      const { serveRouter } = await import('../runtime/router/main.ts');
      await serveRouter({ root, config, port, host: values.host });
      return new Promise(() => {});
    }
    case 'store': {
      const { serveStore } = await import('../runtime/store/main.ts');
      await serveStore({ root, config, port, host: values.host });
      return new Promise(() => {});
    }
    default:
      throw new HybError('HYB_USAGE', `hyb serve: unknown service '${positionals[0] ?? ''}'; one of: chdb, ingest, router, store`);
  }
}

/** A positive integer from a flag, or a usage error naming the flag. */
function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new HybError('HYB_USAGE', `--${name}: '${value}' is not a positive integer`);
  return n;
}

async function seedCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      root: { type: 'string', default: '.' },
      days: { type: 'string' },
      events: { type: 'string' },
      seed: { type: 'string' },
      via: { type: 'string', default: 'otlp' },
      url: { type: 'string' },
      start: { type: 'string' },
    },
  });
  if (values.via !== 'otlp' && values.via !== 'direct') throw new HybError('HYB_USAGE', `--via: '${values.via}' is not otlp or direct`);
  if (values.start !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.start)) throw new HybError('HYB_USAGE', `--start: '${values.start}' is not YYYY-MM-DD`);
  const root = resolve(values.root);
  const { seed, SeedError } = await import('../runtime/seed/main.ts');
  try {
    const report = await seed({
      root,
      config: await loadConfig(root),
      days: intFlag('days', values.days, 7),
      events: intFlag('events', values.events, 100_000),
      seed: intFlag('seed', values.seed, 1),
      via: values.via,
      url: values.url,
      start: values.start,
    });
    process.stderr.write(`hyb seed: ${report.events} events (${report.late} sent late) in ${report.seconds.toFixed(1)} s\n`);
    return 0;
  } catch (error) {
    if (error instanceof SeedError) throw new HybError('HYB_SEED', error.message);
    throw error;
  }
}

/** The project's migrate/sync lock, waiting up to `waitMs` for its holder; else a HYB_LOCKED error naming who holds it. */
async function tierLock(root: string, what: string, waitMs = 0): Promise<() => void> {
  const { takeTierLock, LockedError } = await import('../runtime/sync/lock.ts');
  const until = Date.now() + waitMs;
  for (let said = false; ; said = true) {
    try {
      return takeTierLock(root, what);
    } catch (error) {
      if (!(error instanceof LockedError)) throw error;
      if (Date.now() >= until) throw new HybError('HYB_LOCKED', error.message);
      if (!said) process.stderr.write(`hyb ${what}: ${error.message}\n`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function clickhouseClient(root: string) {
  const config = await loadConfig(root);
  const { createClient } = await import('@clickhouse/client');
  const { url, username, password, database } = config.clickhouse;
  return { config, client: createClient({ url, username, password, database }) };
}

async function migrateCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      root: { type: 'string', default: '.' },
      plan: { type: 'boolean', default: false },
      'drop-removed': { type: 'boolean', default: false },
      wait: { type: 'string', default: '120' },
      push: { type: 'boolean', default: false },
    },
  });
  const waitSeconds = Number(values.wait);
  if (!(waitSeconds >= 0)) throw new HybError('HYB_USAGE', `--wait: '${values.wait}' is not a number of seconds`);
  const root = resolve(values.root);
  const { compileProject } = await import('./project.ts');
  const compiled = await compileProject(root);
  if (compiled.diagnostics.length > 0) {
    report(compiled.diagnostics, false);
    throw new HybError('HYB_MIGRATE', 'the metrics do not compile; fix them first (hyb compile)');
  }
  const { config, client } = await clickhouseClient(root);
  const { migrate, plan } = await import('../runtime/sync/migrate.ts');
  let release: (() => void) | undefined;
  try {
    if (values.plan) {
      const steps = await plan(client, compiled);
      for (const step of steps) process.stdout.write(`would create ${step.kind} ${step.object}\n  ${step.statement}\n`);
      process.stderr.write(`hyb migrate --plan: ${steps.length === 0 ? 'up to date' : `${steps.length} object(s) to create`}\n`);
      return 0;
    }
    const [{ LakeReader }, { lakeFileFunction }] = await Promise.all([import('../runtime/sync/sync.ts'), import('../runtime/lake/location.ts')]);
    const { Progress } = await import('../runtime/progress.ts');
    release = await tierLock(root, 'migrate', waitSeconds * 1000); // a sync pass is short: wait for it
    let reader: InstanceType<typeof LakeReader> | undefined;
    const bars = new Map<string, InstanceType<typeof Progress>>();
    const result = await migrate(client, compiled, {
      dropRemoved: values['drop-removed'],
      // the lake is opened only when a new version has synced data to backfill
      files: {
        parquet: (source, paths) => (reader ??= new LakeReader(root, config)).parquet(source, paths),
        fileFunction: (path) => lakeFileFunction(config.lake, path),
        push: values.push,
      },
      progress: (metric, done, total) => {
        const bar = bars.get(metric) ?? bars.set(metric, new Progress(`backfill ${metric}`, total, ' files')).get(metric)!;
        if (done < total) bar.update(done);
        else bar.finish(done);
      },
    });
    reader?.close();
    for (const step of result.created) process.stdout.write(`created ${step.kind} ${step.object}\n`);
    for (const b of result.backfilled) process.stdout.write(`backfilled ${b.target} from ${b.files} file(s) (${b.direct} read by ClickHouse from the lake)\n`);
    for (const target of result.ready) process.stdout.write(`ready ${target}\n`);
    for (const object of result.dropped) process.stdout.write(`dropped ${object}\n`);
    for (const object of result.kept) process.stdout.write(`kept ${object} (its metric is gone; --drop-removed drops it)\n`);
    const changes = result.created.length + result.dropped.length;
    process.stderr.write(`hyb migrate: ${changes === 0 ? 'up to date' : `${result.created.length} created, ${result.ready.length} ready, ${result.dropped.length} dropped`}\n`);
    return 0;
  } finally {
    release?.();
    await client.close();
  }
}

async function syncCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { root: { type: 'string', default: '.' }, backfill: { type: 'boolean', default: false }, every: { type: 'string' }, push: { type: 'boolean', default: false } },
  });
  const push = values.push;
  /** "N file(s), M rows (K read by ClickHouse from the lake)" */
  const summary = (result: { files: number; rows: number; direct: number }) => `${result.files} file(s), ${result.rows} rows${result.files > 0 ? ` (${result.direct} read by ClickHouse from the lake)` : ''}`;
  const every = values.every === undefined ? undefined : Number(values.every);
  if (every !== undefined && !(every > 0)) throw new HybError('HYB_USAGE', `--every: '${values.every}' is not a positive number of seconds`);
  const root = resolve(values.root);
  const { config, client } = await clickhouseClient(root);
  const { LakeReader, syncOnce } = await import('../runtime/sync/sync.ts');
  const { Progress } = await import('../runtime/progress.ts');
  const reader = new LakeReader(root, config);
  // the lock is held for a pass, so a looping sync lets migrate in between passes
  let release: (() => void) | undefined;
  try {
    release = await tierLock(root, 'sync');
    if (values.backfill) {
      // Rebuild: forget what was loaded and empty the raw tables and rollups, then load the whole lake.
      const tables = ((await (await client.query({ query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND (name LIKE 'otel\\_%' OR name LIKE 'hyb\\_%') AND engine LIKE '%MergeTree' AND name NOT IN ('hyb_migrations')", format: 'JSONEachRow' })).json()) as { name: string }[]).map((r) => r.name);
      for (const table of tables) await client.command({ query: `TRUNCATE TABLE ${table}` });
    }
    if (every !== undefined) {
      release();
      release = undefined;
      // On an interval (as hyb dev runs it): a failed pass is reported and retried at the next tick.
      process.stderr.write(`hyb sync: every ${every} s\n`);
      for (;;) {
        const started = Date.now();
        try {
          release = await tierLock(root, 'sync');
          const result = await syncOnce(reader, client, { push });
          if (result.files > 0) process.stderr.write(`hyb sync: ${summary(result)}\n`);
        } catch (error) {
          process.stderr.write(`hyb sync: ${(error as Error).message}\n`);
        } finally {
          release?.();
          release = undefined;
        }
        await new Promise((r) => setTimeout(r, Math.max(0, every * 1000 - (Date.now() - started))));
      }
    }
    let bar: InstanceType<typeof Progress> | undefined;
    const result = await syncOnce(reader, client, {
      push,
      progress: (done, total) => {
        bar ??= new Progress('hyb sync', total, ' files');
        if (done < total) bar.update(done);
        else bar.finish(done);
      },
    });
    process.stderr.write(`hyb sync: ${summary(result)}\n`);
    return 0;
  } catch (error) {
    throw error instanceof HybError ? error : new HybError('HYB_SYNC', (error as Error).message);
  } finally {
    release?.();
    reader.close();
    await client.close();
  }
}

async function devCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      root: { type: 'string', default: '.' },
      worker: { type: 'boolean', default: false },
      lake: { type: 'string' },
      'port-router': { type: 'string' },
      'port-ingest': { type: 'string' },
      'port-chdb': { type: 'string' },
      'port-store': { type: 'string' },
      days: { type: 'string' },
      events: { type: 'string' },
      'sync-every': { type: 'string' },
    },
  });
  const root = resolve(values.root);
  const base = await loadConfig(root);
  const fixedPort = (name: string, value: string | undefined, fallback: number) => {
    const port = portFlag(value) ?? fallback;
    if (port === 0) throw new HybError('HYB_USAGE', `--${name}: hyb dev needs fixed ports (0 is not one)`);
    return port;
  };
  const ports = {
    router: fixedPort('port-router', values['port-router'], base.ports.router),
    ingest: fixedPort('port-ingest', values['port-ingest'], base.ports.ingest),
    chdb: fixedPort('port-chdb', values['port-chdb'], base.ports.chdb),
    store: fixedPort('port-store', values['port-store'], base.ports.store),
  };
  // Every child sees the same overrides: the local store as ClickHouse, the local chDB service.
  const overrides = JSON.stringify({
    ...(values.lake ? { lake: { kind: 'local', path: resolve(values.lake) } } : {}),
    ports,
    clickhouse: { url: `http://127.0.0.1:${ports.store}` },
    router: { chdbUrl: `http://127.0.0.1:${ports.chdb}`, endpoints: [] },
  });
  const { dev } = await import('../runtime/dev/main.ts');
  const every = values['sync-every'] === undefined ? 30 : Number(values['sync-every']);
  if (!(every > 0)) throw new HybError('HYB_USAGE', `--sync-every: '${values['sync-every']}' is not a positive number of seconds`);
  try {
    await dev({
      root,
      config: withOverrides(base, overrides),
      overrides,
      worker: values.worker,
      seed: { days: intFlag('days', values.days, 7), events: intFlag('events', values.events, 200_000) },
      syncEverySeconds: every,
    });
  } catch (error) {
    throw new HybError('HYB_DEV', (error as Error).message);
  }
  return 0;
}

async function queryCommand(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      root: { type: 'string', default: '.' },
      range: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      param: { type: 'string', multiple: true, default: [] },
      via: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
      url: { type: 'string' },
    },
  });
  const name = positionals[0];
  if (!name) throw new HybError('HYB_USAGE', 'hyb query: name a query (hyb query NAME; GET /queries lists them)');
  if (values.via !== 'auto' && values.via !== 'mv' && values.via !== 'chdb') throw new HybError('HYB_USAGE', `--via: '${values.via}' is not auto, mv or chdb`);
  if ((values.from === undefined) !== (values.to === undefined)) throw new HybError('HYB_USAGE', '--from and --to go together');
  if (values.range !== undefined && values.from !== undefined) throw new HybError('HYB_USAGE', '--range or --from/--to, not both');
  const config = await loadConfig(resolve(values.root));
  const { runQuery, formatTable, describeSource, QueryCliError } = await import('../runtime/router/query-cli.ts');
  try {
    const result = await runQuery({
      url: (values.url ?? `http://127.0.0.1:${config.ports.router}`).replace(/\/$/, ''),
      token: process.env.HYB_DASHBOARD_TOKEN || undefined,
      name,
      timeRange: values.from !== undefined ? { from: values.from, to: values.to! } : (values.range ?? '7d'),
      params: values.param,
      via: values.via,
    });
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(formatTable(result.rows));
      process.stderr.write(`${describeSource(result)}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof QueryCliError) throw new HybError('HYB_QUERY', error.message);
    throw error;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  switch (command) {
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return 0;
    case 'compile':
      return compileCommand(rest);
    case 'dev':
      return devCommand(rest);
    case 'query':
      return queryCommand(rest);
    case 'serve':
      return serveCommand(rest);
    case 'seed':
      return seedCommand(rest);
    case 'migrate':
      return migrateCommand(rest);
    case 'sync':
      return syncCommand(rest);
    default:
      throw new HybError('HYB_USAGE', `unknown command '${command}'; see hyb --help`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const parseError = String((error as NodeJS.ErrnoException).code ?? '').startsWith('ERR_PARSE_ARGS');
    const code = error instanceof HybError ? error.code : parseError ? 'HYB_USAGE' : 'HYB_INTERNAL';
    process.stderr.write(`hyb: ${code}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
