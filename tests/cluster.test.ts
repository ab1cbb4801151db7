/**
 * With `clickhouse.cluster` set, every ClickHouse statement the compiler
 * emits runs ON CLUSTER with Replicated engines. No cluster runs here, so
 * each statement is checked as SQL: it must parse in chDB (EXPLAIN AST).
 */
import { Session } from 'chdb';
import { afterAll, describe, expect, it } from 'vitest';
import { compileMetrics } from '../compiler/compile.ts';
import { loadMetrics } from '../compiler/load.ts';
import { rawTableDDL } from '../compiler/sql/sources.ts';
import { configSchema } from '../schemas/config.ts';
import { sourceNames } from '../schemas/sources.ts';
import { projectRoot } from './support/project.ts';
import { join } from 'node:path';

const session = new Session();
afterAll(() => session.close());

describe('cluster DDL', () => {
  it('puts every statement ON CLUSTER with a Replicated engine, and each parses', async () => {
    const config = configSchema.parse({ clickhouse: { cluster: 'hyb_cluster' } });
    const { metrics } = await loadMetrics(projectRoot, join(projectRoot, 'metrics'));
    const compiled = await compileMetrics(metrics, config);
    expect(compiled.diagnostics).toEqual([]);
    const statements = [
      ...sourceNames.map((s) => rawTableDDL(s, { ttlDays: 30, cluster: 'hyb_cluster' })),
      ...compiled.metrics.flatMap((m) => [m.sql.targetDDL, m.sql.mvDDL].filter((s): s is string => s !== null)),
    ];
    expect(statements.length).toBeGreaterThan(sourceNames.length);
    for (const sql of statements) {
      expect(sql, sql).toMatch(/ ON CLUSTER `?hyb_cluster`? /);
      if (/ENGINE\s*=/.test(sql)) expect(sql, sql).toMatch(/ENGINE = Replicated\w*MergeTree/);
      expect(() => session.query(`EXPLAIN AST ${sql}`), sql).not.toThrow();
    }
    // and the generated files carry it too
    expect(compiled.files.get('generated/clickhouse/sources.sql')).toMatch(/ON CLUSTER/);
  });
});
