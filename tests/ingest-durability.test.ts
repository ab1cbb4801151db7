/**
 * Every acknowledged record reaches the lake exactly once, whatever instant
 * the ingest process dies at: SIGKILL in the middle of a load (several
 * times over), and a kill just before and just after an Iceberg commit
 * (failpoints in the writer), and a commit cut off while chDB wrote the
 * table's next metadata file.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/lake.ts';
import { postJson, projectWithLake, startService, type RunningService } from './support/services.ts';

const SETTINGS = { ingest: { flushSeconds: 0.2, flushRows: 400 } };

/** One request of `ids.length` log records, each tagged with its id. */
function request(ids: number[]) {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'durability' } }] },
        scopeLogs: [
          {
            logRecords: ids.map((id) => ({
              timeUnixNano: String(1772532000000000000n + BigInt(id) * 1000n),
              body: { stringValue: `record ${id}` },
              attributes: [{ key: 'id', value: { intValue: String(id) } }],
            })),
          },
        ],
      },
    ],
  };
}

/** How many times each id is in the lake, read through a fresh chDB service. */
async function lakeCounts(project: string): Promise<Map<number, number>> {
  const chdb = await startService(['chdb'], project);
  try {
    const answer = await postJson(`${chdb.url}/query`, { sql: "SELECT toUInt32(LogAttributes['id']) AS id, count() AS n FROM lake.otel_logs GROUP BY id" });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return new Map((answer.body.data as { id: number; n: number }[]).map((r) => [r.id, r.n]));
  } finally {
    await chdb.stop();
  }
}

const exited = (service: RunningService) => new Promise<void>((resolve) => (service.child.exitCode !== null ? resolve() : service.child.once('exit', () => resolve())));

/** Starts ingest and stops it cleanly: recovery replays the WAL, shutdown flushes. */
async function recover(project: string): Promise<void> {
  const ingest = await startService(['ingest'], project);
  await ingest.stop();
  expect(ingest.child.exitCode, ingest.stderr()).toBe(0);
}

function expectExactlyOnce(acked: ReadonlySet<number>, counts: ReadonlyMap<number, number>): void {
  const missing = [...acked].filter((id) => counts.get(id) !== 1);
  expect(missing, `acknowledged ids missing or duplicated: ${missing.slice(0, 10).join(', ')}`).toEqual([]);
  const twice = [...counts].filter(([, n]) => n > 1);
  expect(twice).toEqual([]);
}

describe('ingest durability', () => {
  // npm test: 3 kills; npm run test:reliability (vitest.reliability.config.ts): HYB_INGEST_KILLS=10.
  const KILLS = Number(process.env.HYB_INGEST_KILLS ?? 3);
  it(`keeps every acknowledged record exactly once across ${KILLS} SIGKILLs under load`, async () => {
    const project = projectWithLake(tempDir('lake'), SETTINGS);
    const acked = new Set<number>();
    let next = 0;
    for (let cycle = 0; cycle < KILLS; cycle++) {
      const ingest = await startService(['ingest'], project);
      let killed = false;
      const senders = Array.from({ length: 3 }, async () => {
        while (!killed) {
          const ids = Array.from({ length: 50 }, () => next++);
          try {
            const answer = await postJson(`${ingest.url}/v1/logs`, request(ids));
            if (answer.status === 200) ids.forEach((id) => acked.add(id));
          } catch {
            // the connection died with the process: not acknowledged
          }
        }
      });
      await new Promise((r) => setTimeout(r, 400 + (cycle % 3) * 350));
      ingest.child.kill('SIGKILL');
      killed = true;
      await exited(ingest);
      await Promise.all(senders);
    }
    expect(acked.size).toBeGreaterThan(500);
    await recover(project);
    expectExactlyOnce(acked, await lakeCounts(project));
    console.log(`ingest crash safety: ${KILLS} SIGKILLs under load, ${acked.size} acknowledged records, each in the lake exactly once`);
  }, 60_000 + KILLS * 20_000);

  it.each(['before-commit', 'after-commit'])('settles a commit interrupted %s', async (point) => {
    const project = projectWithLake(tempDir('lake'), SETTINGS);
    // some committed rows first, so the row-count check has a non-zero base
    const ingest = await startService(['ingest'], project);
    expect((await postJson(`${ingest.url}/v1/logs`, request([1, 2, 3]))).status).toBe(200);
    await ingest.stop();

    const crashing = await startService(['ingest'], project, { HYB_FAILPOINT: point });
    const ids = Array.from({ length: 20 }, (_, i) => 100 + i);
    expect((await postJson(`${crashing.url}/v1/logs`, request(ids))).status).toBe(200);
    await exited(crashing); // killed by the failpoint at the next flush
    expect(crashing.child.signalCode).toBe('SIGKILL');

    await recover(project);
    const counts = await lakeCounts(project);
    expectExactlyOnce(new Set([1, 2, 3, ...ids]), counts);
    expect(counts.size).toBe(23);
  }, 60_000);

  it('settles a commit cut off while chDB wrote its metadata file', async () => {
    const lake = tempDir('lake');
    const project = projectWithLake(lake, SETTINGS);
    const ingest = await startService(['ingest'], project);
    expect((await postJson(`${ingest.url}/v1/logs`, request([1, 2, 3]))).status).toBe(200);
    await ingest.stop();

    // Killed at the commit, after chDB created the next vN.metadata.json and before it wrote it.
    const crashing = await startService(['ingest'], project, { HYB_FAILPOINT: 'before-commit' });
    const ids = Array.from({ length: 20 }, (_, i) => 100 + i);
    expect((await postJson(`${crashing.url}/v1/logs`, request(ids))).status).toBe(200);
    await exited(crashing);
    const metadata = join(lake, 'otel_logs', 'metadata');
    const newest = Math.max(...readdirSync(metadata).map((name) => Number(/^v(\d+)\.metadata\.json$/.exec(name)?.[1] ?? 0)));
    const torn = join(metadata, `v${newest + 1}.metadata.json`);
    writeFileSync(torn, '');

    const restarted = await startService(['ingest'], project);
    await restarted.stop();
    expect(restarted.stderr()).toContain(`removed ${torn}: torn by a crash mid-commit`);
    const counts = await lakeCounts(project);
    expectExactlyOnce(new Set([1, 2, 3, ...ids]), counts);
    expect(counts.size).toBe(23);
  }, 60_000);
});
