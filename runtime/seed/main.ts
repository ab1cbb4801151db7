/**
 * `hyb seed`: synthetic telemetry into the lake, either through the real
 * OTLP path (protobuf to a running `hyb serve ingest`, as an app would send
 * it) or written straight into the Iceberg tables (fast, for large sets; the
 * ingest service must not be running, one writer per table).
 *
 * About 1% of records arrive late: held back and sent with the next day's
 * data, hours after their timestamps, as offline clients do.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Session } from 'chdb';
import type { HybConfig } from '../../schemas/config.ts';
import type { SourceName } from '../../schemas/sources.ts';
import { enterLocalLake } from '../lake/location.ts';
import { toRowBinary } from '../lake/row-binary.ts';
import { watchPromoted } from '../lake/attributes.ts';
import { LakeTables } from '../lake/tables.ts';
import { Progress } from '../progress.ts';
import { generateDays, prng, type Rows } from './generate.ts';
import { logsRequest, tracesRequest } from './otlp.ts';

export interface SeedOptions {
  readonly root: string;
  readonly config: HybConfig;
  readonly days: number;
  /** Approximate total of log records and spans. */
  readonly events: number;
  readonly seed: number;
  readonly via: 'otlp' | 'direct';
  /** The ingest endpoint for `via: 'otlp'`; default from the config's port. */
  readonly url?: string;
  /** First day, YYYY-MM-DD; default: `days` days before today (UTC). */
  readonly start?: string;
}

export interface SeedReport {
  readonly events: number;
  readonly late: number;
  readonly seconds: number;
}

/** Average events one generated session produces (measured on 10k sessions). */
const EVENTS_PER_SESSION = 15.5;
const BATCH = 1000;

export class SeedError extends Error {}

export async function seed(options: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const sessionsPerDay = Math.max(1, Math.round(options.events / options.days / EVENTS_PER_SESSION));
  const start = options.start ?? new Date(Date.now() - options.days * 86_400_000).toISOString().slice(0, 10);
  const days = generateDays({ seed: options.seed, start, days: options.days, sessionsPerDay, users: Math.max(20, Math.round(sessionsPerDay / 3)) });
  const sink = options.via === 'otlp' ? otlpSink(options) : directSink(options);
  const progress = new Progress(`hyb seed (${options.via})`, Math.round(sessionsPerDay * options.days * EVENTS_PER_SESSION), ' events');
  const lateRand = prng(options.seed ^ 0x1a7e);
  let held: Rows = { otel_logs: [], otel_traces: [] };
  let events = 0;
  let late = 0;
  for (const day of days) {
    const batch: Rows = { otel_logs: [...held.otel_logs], otel_traces: [...held.otel_traces] };
    held = { otel_logs: [], otel_traces: [] };
    for (const source of ['otel_logs', 'otel_traces'] as const) {
      for (const row of day[source]) (lateRand() < 0.01 ? held : batch)[source].push(row);
    }
    await sink.write(batch, (n) => progress.update((events += n)));
    late += held.otel_logs.length + held.otel_traces.length;
  }
  await sink.write(held, (n) => progress.update((events += n)));
  await sink.close();
  progress.finish(events);
  return { events, late, seconds: (performance.now() - started) / 1000 };
}

interface Sink {
  write(rows: Rows, advanced: (events: number) => void): Promise<void>;
  close(): Promise<void>;
}

/** Protobuf requests of BATCH records, four in flight, honouring Retry-After. */
function otlpSink(options: SeedOptions): Sink {
  const url = options.url ?? `http://127.0.0.1:${options.config.ports.ingest}`;
  const send = async (path: string, body: Uint8Array): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${url}${path}`, { method: 'POST', body: Buffer.from(body), headers: { 'content-type': 'application/x-protobuf', ...(process.env.HYB_INGEST_TOKEN ? { authorization: `Bearer ${process.env.HYB_INGEST_TOKEN}` } : {}) } });
      } catch (error) {
        throw new SeedError(`cannot reach ${url}${path} (is hyb serve ingest running?): ${(error as Error).message}`);
      }
      await response.arrayBuffer();
      if (response.ok) return;
      if ((response.status === 429 || response.status === 503) && attempt < 50) {
        await new Promise((r) => setTimeout(r, Number(response.headers.get('retry-after') ?? 1) * 1000));
        continue;
      }
      throw new SeedError(`${url}${path} answered ${response.status}`);
    }
  };
  return {
    async write(rows, advanced) {
      const jobs: (() => Promise<void>)[] = [];
      for (let i = 0; i < rows.otel_logs.length; i += BATCH) {
        const slice = rows.otel_logs.slice(i, i + BATCH);
        jobs.push(() => send('/v1/logs', logsRequest(slice)).then(() => advanced(slice.length)));
      }
      for (let i = 0; i < rows.otel_traces.length; i += BATCH) {
        const slice = rows.otel_traces.slice(i, i + BATCH);
        jobs.push(() => send('/v1/traces', tracesRequest(slice)).then(() => advanced(slice.length)));
      }
      let next = 0;
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (next < jobs.length) await jobs[next++]!();
      }));
    },
    async close() {},
  };
}

/** One Iceberg commit per source per day, through this process's own chDB session. */
function directSink(options: SeedOptions): Sink {
  const { config } = options;
  const pidFile = join(resolve(options.root, config.ingest.stateDir), 'ingest.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      // a stale pid file: the ingest process is gone
    }
    if (alive) throw new SeedError(`hyb serve ingest is running (pid ${pid}) and owns the lake tables: stop it, or seed through it with --via otlp`);
  }
  enterLocalLake(options.root, config.lake);
  const staging = mkdtempSync(join(tmpdir(), 'hyb-seed-'));
  const session = new Session(undefined, { connectionArgs: [`--user_files_path=${staging}`] });
  const tables = new LakeTables(session, config.lake, staging, watchPromoted(options.root));
  return {
    async write(rows, advanced) {
      for (const source of ['otel_logs', 'otel_traces'] as SourceName[]) {
        const list = rows[source as keyof Rows];
        if (list.length === 0) continue;
        await tables.append(source, toRowBinary(source, list));
        advanced(list.length);
      }
    },
    async close() {
      session.close();
      rmSync(staging, { recursive: true, force: true });
    },
  };
}
