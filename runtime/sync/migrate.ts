/**
 * `hyb migrate`: the ClickHouse objects the compiler declares (raw source
 * tables, each metric's versioned target table and MV), created where
 * missing and recorded in `hyb_migrations`. Every statement is
 * `CREATE … IF NOT EXISTS`, so a rerun or a half-applied run is harmless.
 * Through `@clickhouse/client` only: the local store or a real server alike.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { rawTableDDL } from '../../compiler/sql/sources.ts';
import type { ProjectCompile } from '../../compiler/project.ts';
import { sourceNames } from '../../schemas/sources.ts';

export interface Step {
  readonly object: string;
  readonly kind: 'source' | 'target' | 'mv';
  readonly statement: string;
}

const STATE_DDL =
  "CREATE TABLE IF NOT EXISTS hyb_migrations (object String, kind LowCardinality(String), statement String, applied_at DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree ORDER BY object";

/** Every object the project declares, in creation order (sources first, each MV after its target). */
export function declared(compiled: ProjectCompile): Step[] {
  const { config } = compiled;
  const ddl = { ttlDays: config.retention.rawDays, cluster: config.clickhouse.cluster };
  const steps: Step[] = sourceNames.map((source) => ({ object: source, kind: 'source', statement: rawTableDDL(source, ddl) }));
  for (const m of compiled.metrics) {
    if (m.sql.target && m.sql.targetDDL) steps.push({ object: m.sql.target, kind: 'target', statement: m.sql.targetDDL });
    if (m.sql.mv && m.sql.mvDDL) steps.push({ object: m.sql.mv, kind: 'mv', statement: m.sql.mvDDL });
  }
  return steps;
}

/** The declared objects not yet recorded as applied. */
export async function plan(client: ClickHouseClient, compiled: ProjectCompile): Promise<Step[]> {
  await client.command({ query: STATE_DDL });
  const applied = new Set(
    ((await (await client.query({ query: 'SELECT object FROM hyb_migrations FINAL', format: 'JSONEachRow' })).json()) as { object: string }[]).map((r) => r.object),
  );
  return declared(compiled).filter((step) => !applied.has(step.object));
}

/** Applies the plan, recording each step once it succeeded. */
export async function migrate(client: ClickHouseClient, compiled: ProjectCompile): Promise<Step[]> {
  const steps = await plan(client, compiled);
  for (const step of steps) {
    await client.command({ query: step.statement });
    await client.insert({
      table: 'hyb_migrations',
      values: [{ object: step.object, kind: step.kind, statement: step.statement, applied_at: new Date().toISOString().replace('T', ' ').replace('Z', '') }],
      format: 'JSONEachRow',
    });
  }
  return steps;
}
