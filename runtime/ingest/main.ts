/**
 * `hyb serve ingest`: the OTLP receiver, its WAL and the lake writer in one
 * process (chDB keeps one session per process; a local lake makes the
 * process move into it).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Session } from 'chdb';
import type { HybConfig } from '../../schemas/config.ts';
import { dropTornMetadata, enterLocalLake } from '../lake/location.ts';
import { toRowBinary } from '../lake/row-binary.ts';
import { watchPromoted } from '../lake/attributes.ts';
import { LakeTables } from '../lake/tables.ts';
import { listen } from '../serve.ts';
import { sourceNames, type SourceName } from '../../schemas/sources.ts';
import { ingestService, type SourceRows } from './service.ts';
import { Wal, type WalPart } from './wal.ts';
import { LakeWriter } from './writer.ts';

/** Rows → one RowBinary payload per source: what the WAL keeps and the lake insert takes. */
function toParts(rows: SourceRows): WalPart[] {
  return Object.entries(rows)
    .filter(([, list]) => list && list.length > 0)
    .map(([source, list]) => ({ source: source as SourceName, rows: list!.length, payload: toRowBinary(source as SourceName, list!) }));
}

export interface ServeIngestOptions {
  readonly root: string;
  readonly config: HybConfig;
  readonly port?: number;
  readonly host?: string;
}

const log = (message: string) => process.stderr.write(`hyb serve ingest: ${message}\n`);

export async function serveIngest(options: ServeIngestOptions): Promise<string> {
  const { config } = options;
  const settings = config.ingest;
  const stateDir = resolve(options.root, settings.stateDir);
  mkdirSync(stateDir, { recursive: true });
  const lake = enterLocalLake(options.root, config.lake);
  if (lake) {
    // this process is the lake's one writer: a commit it died in leaves a torn metadata file
    for (const source of sourceNames) for (const path of dropTornMetadata(lake, source)) log(`removed ${path}: torn by a crash mid-commit`);
  }
  // Tells `hyb seed --via direct` that the lake tables have a writer.
  const pidFile = join(stateDir, 'ingest.pid');
  writeFileSync(pidFile, String(process.pid));
  const staging = join(stateDir, 'staging');
  const session = new Session(join(stateDir, 'chdb'), { connectionArgs: [`--user_files_path=${staging}`] });
  const { wal, records } = await Wal.open(join(stateDir, 'wal'));
  const writer = new LakeWriter(new LakeTables(session, config.lake, staging, watchPromoted(options.root)), join(stateDir, 'state'), {
    maxRows: settings.flushRows,
    maxBytes: settings.flushBytes,
    maxAgeMs: settings.flushSeconds * 1000,
  });
  const { replayedRows } = await writer.recover(records);
  if (replayedRows > 0) log(`replaying ${replayedRows} acknowledged rows from the WAL`);
  await writer.flush(true);
  wal.release(writer.durableSeq);

  const flush = (all = false) =>
    writer.flush(all).then(
      () => wal.release(writer.durableSeq),
      (error: unknown) => log(`flush failed, will retry: ${(error as Error).message}`),
    );
  const timer = setInterval(() => void flush(), Math.max(100, Math.min(1000, (settings.flushSeconds * 1000) / 4)));

  const app = ingestService(
    {
      async accept(rows) {
        const parts = toParts(rows);
        const seq = await wal.append(parts);
        writer.add(seq, parts);
        if (writer.bufferedBytes >= settings.flushBytes) void flush();
      },
      overloaded: () => writer.bufferedBytes >= settings.maxBufferBytes,
    },
    { maxBodyBytes: settings.maxBodyBytes, maxConcurrentRequests: settings.maxConcurrentRequests, token: process.env.HYB_INGEST_TOKEN || undefined },
  );

  return listen(app, {
    name: 'ingest',
    port: options.port ?? config.ports.ingest,
    host: options.host,
    detail: () => `(lake: ${config.lake.kind}, state: ${stateDir})`,
    async stop() {
      clearInterval(timer);
      await flush(true); // a clean shutdown leaves nothing in the WAL
      await wal.close();
      session.close();
      rmSync(pidFile, { force: true });
      log('flushed and stopped');
    },
  });
}
