/**
 * Ingest throughput: OTLP protobuf log records per second into a running
 * `hyb serve ingest` (batches of 1,000 records, 8 requests in flight), next
 * to chDB's own rate for appending the same rows to the Iceberg table in one
 * INSERT: the ceiling, since the service ends in that same insert.
 *
 *   npm run bench:ingest
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toRowBinary } from '../runtime/lake/row-binary.ts';
import { generate, toJsonEachRow } from '../runtime/seed/generate.ts';
import { logsRequest } from '../runtime/seed/otlp.ts';
import { Progress } from '../runtime/progress.ts';
import { atLeast, report } from './report.ts';
import { benchProject, median, projectRoot, startHyb, tempDir } from './support.ts';

const RECORDS = 200_000;
const BATCH = 1_000;
const IN_FLIGHT = 8;
const ROUNDS = 3;

const rows = generate({ seed: 3, start: '2026-04-01', days: 1, sessionsPerDay: Math.ceil(RECORDS / 11), users: 2000 }).otel_logs.slice(0, RECORDS);
const requests: Uint8Array[] = [];
for (let i = 0; i < rows.length; i += BATCH) requests.push(logsRequest(rows.slice(i, i + BATCH)));
const WARM_UP = 20;
const warmUp = requests.slice(0, WARM_UP);

/** Starts ingest on a fresh lake; resolves with its URL and a stop() that waits for the final flush. */
async function startIngest(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = benchProject();
  const lake = tempDir('hyb-bench-lake-');
  writeFileSync(join(dir, 'hyb.config.ts'), `import { defineConfig } from './compiler/dsl/index.ts';\nexport default defineConfig({ lake: { kind: 'local', path: ${JSON.stringify(lake)} } });\n`);
  return startHyb(['ingest'], dir);
}

/** One OTLP/HTTP POST on a keep-alive connection, as the OpenTelemetry exporters send from Node (node:http). */
function post(url: URL, agent: http.Agent, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path: '/v1/logs', method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Sends `bodies` with IN_FLIGHT requests outstanding; `sent` after each answer. */
async function send(url: URL, agent: http.Agent, bodies: readonly Uint8Array[], sent: () => void): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < bodies.length) {
        const status = await post(url, agent, bodies[next++]!);
        if (status !== 200) throw new Error(`ingest answered ${status}`);
        sent();
      }
    }),
  );
}

async function ingestRound(round: number): Promise<{ ackPerSecond: number; committedPerSecond: number }> {
  const { url, stop } = await startIngest();
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  // a warm-up the clock does not see: a fresh process runs its first requests unoptimised
  await send(new URL(url), agent, warmUp, () => undefined);
  const progress = new Progress(`ingest round ${round + 1}/${ROUNDS}`, RECORDS, ' records');
  let acked = 0;
  const started = performance.now();
  await send(new URL(url), agent, requests, () => progress.update((acked += BATCH)));
  const ackedAt = performance.now();
  agent.destroy();
  await stop(); // SIGTERM: flushes everything to the lake, then exits
  const committedAt = performance.now();
  progress.finish(acked);
  return { ackPerSecond: RECORDS / ((ackedAt - started) / 1000), committedPerSecond: RECORDS / ((committedAt - started) / 1000) };
}

/** chDB alone: the same rows as one insert into a fresh Iceberg table (a separate process, timed inside). */
function chdbRound(format: 'RowBinary' | 'JSONEachRow'): number {
  const lake = tempDir('hyb-bench-lake-');
  const file = join(lake, 'rows.payload');
  writeFileSync(file, format === 'RowBinary' ? toRowBinary('otel_logs', rows) : toJsonEachRow(rows));
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench/iceberg-insert.ts'), lake, file, format], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return RECORDS / (Number(run.stdout.trim()) / 1000);
}

const ingest: { ackPerSecond: number; committedPerSecond: number }[] = [];
const chdb: number[] = [];
const chdbJson: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  ingest.push(await ingestRound(round));
  chdb.push(chdbRound('RowBinary'));
  chdbJson.push(chdbRound('JSONEachRow'));
}
const ackPerSecond = median(ingest.map((r) => r.ackPerSecond));
const committedPerSecond = median(ingest.map((r) => r.committedPerSecond));
const chdbPerSecond = median(chdb);
const chdbJsonPerSecond = median(chdbJson);
report({
  bench: 'ingest',
  setup: `${RECORDS.toLocaleString('en-US')} OTLP protobuf log records from the seed generator (encoded beforehand, so the client's encoding is not timed), batches of ${BATCH.toLocaleString('en-US')}, ${IN_FLIGHT} requests in flight on keep-alive \`node:http\` connections (the transport of the OpenTelemetry exporters in Node), into \`hyb serve ingest\` on a fresh local lake after ${WARM_UP} warm-up requests the clock does not see, client and server on the same machine; ${ROUNDS} rounds. The committed figure runs to the end of the final flush, which also commits the warm-up's records. Beside each round, chDB alone appending the same rows to a fresh Iceberg table in one insert of a RowBinary file (\`LakeTables.append\`, as the service commits): the ceiling; and the same rows as one \`INSERT … FORMAT JSONEachRow\`, the service's format until 2026-11-25.`,
  figures: [
    { measure: 'OTLP records acknowledged (WAL written and fsynced)', value: ackPerSecond, unit: 'records/s', goal: atLeast(100_000) },
    { measure: 'OTLP records acknowledged and committed to Iceberg', value: committedPerSecond, unit: 'records/s' },
    { measure: 'chDB alone, one Iceberg insert of the same rows (RowBinary, as the service commits)', value: chdbPerSecond, unit: 'records/s' },
    { measure: 'chDB alone, the same rows as JSONEachRow', value: chdbJsonPerSecond, unit: 'records/s' },
    { measure: 'ingest acknowledged / chDB insert', value: ackPerSecond / chdbPerSecond, unit: '×' },
  ],
});
