/**
 * A one-shot compile formats large batches on two threads: the helper
 * thread's half must come back exactly as this thread would format it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { formatSql } from '../compiler/format-sql.ts';
import { bootFormatHelper, formatAll, helperStats } from '../compiler/format.ts';
import { compileProject } from '../compiler/project.ts';
import { tempDir } from './support/lake.ts';
import { projectRoot } from './support/project.ts';

it('formats half of a large batch on the helper thread, byte for byte as this thread does', async () => {
  const root = tempDir('format-helper');
  bootFormatHelper(root); // first: one helper a process, and compileProject would boot it in the repository
  // the repository's metrics, each statement in three spellings the formatter lays out alike
  const { metrics } = await compileProject(projectRoot);
  const base = metrics.flatMap((m) => [m.sql.mvQuery, m.sql.fallbackQuery, m.sql.targetDDL, m.sql.mvDDL]).filter((s): s is string => typeof s === 'string');
  const statements = base.flatMap((sql) => [sql, sql.replace(/\s+/g, '  '), `${sql}\n`]);
  expect(statements.length).toBeGreaterThanOrEqual(64);

  const before = helperStats.formatted;
  const formatted = await formatAll(statements);
  expect(helperStats.formatted - before).toBe(statements.length - Math.floor(statements.length / 2));
  expect(formatted).toEqual(statements.map(formatSql));
  expect(readdirSync(join(root, 'node_modules/.cache/hyb')).some((f) => /^format-helper-\w+\.mjs$/.test(f))).toBe(true);
});
