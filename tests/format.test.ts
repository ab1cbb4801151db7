/**
 * A one-shot compile formats large batches on two threads: what the helper
 * thread formats must come back exactly as this thread would format it, and
 * the helper takes more of the batch while this thread is busy elsewhere.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { formatSql } from '../compiler/format-sql.ts';
import { bootFormatHelper, formatAll, helperStats } from '../compiler/format.ts';
import { compileProject } from '../compiler/project.ts';
import { tempDir } from './support/lake.ts';
import { projectRoot } from './support/project.ts';

it('shares a large batch with the helper thread, byte for byte as this thread formats', async () => {
  const root = tempDir('format-helper');
  bootFormatHelper(root); // first: one helper a process, and compileProject would boot it in the repository
  // the repository's metrics, each statement in three spellings the formatter lays out alike
  const { metrics } = await compileProject(projectRoot);
  const base = metrics.flatMap((m) => [m.sql.mvQuery, m.sql.fallbackQuery, m.sql.targetDDL, m.sql.mvDDL]).filter((s): s is string => typeof s === 'string');
  const statements = base.flatMap((sql) => [sql, sql.replace(/\s+/g, '  '), `${sql}\n`]);
  expect(statements.length).toBeGreaterThanOrEqual(64);

  const before = helperStats.formatted;
  const formatted = await formatAll(statements);
  const shared = helperStats.formatted - before;
  expect(shared).toBeGreaterThan(0);
  expect(shared).toBeLessThanOrEqual(statements.length);
  expect(formatted).toEqual(statements.map(formatSql));
  expect(readdirSync(join(root, 'node_modules/.cache/hyb')).some((f) => /^format-helper-[\w-]+\.mjs$/.test(f))).toBe(true);

  // this thread busy for a second before it joins in: the helper has taken most of the batch by then
  const busy = helperStats.formatted;
  let ran = false;
  const again = await formatAll(statements, { memory: new Map() }, () => {
    const until = performance.now() + 1000;
    while (performance.now() < until);
    ran = true;
  });
  expect(ran).toBe(true);
  expect(helperStats.formatted - busy).toBeGreaterThan(statements.length / 2);
  expect(again).toEqual(formatted);
});
