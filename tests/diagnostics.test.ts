/**
 * A corpus of broken metric files, compiled by the CLI as a user runs it:
 * each file gets a diagnostic with a code, a path into the definition and
 * file:line:col, every one is reported in one run, and nothing is written.
 * The rendered diagnostics are pinned in a file snapshot.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, type Diagnostic } from '../compiler/diagnostics.ts';
import { listMetricFiles } from '../compiler/load.ts';
import { hyb, projectRoot } from './support/project.ts';

const corpus = join(projectRoot, 'tests/fixtures/broken-metrics');
// Safe in the project itself: a compile with errors writes nothing.
const args = ['compile', '--metrics', 'tests/fixtures/broken-metrics/metrics'];

describe('broken metric files', async () => {
  const json = hyb([...args, '--json'], projectRoot);
  const diagnostics = (JSON.parse(json.stdout) as { diagnostics: Diagnostic[] }).diagnostics;
  const files = (await listMetricFiles(join(corpus, 'metrics'))).map((f) => f.slice(projectRoot.length + 1));

  it('every file in the corpus is reported, with a line and column', () => {
    expect(json.status).toBe(1);
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const file of files) {
      const mine = diagnostics.filter((d) => d.file === file);
      expect(mine.length, file).toBeGreaterThan(0);
      for (const d of mine) {
        expect(d.code, file).toMatch(/^HYB\d{3}$/);
        // A file that exports nothing has no declaration to point at.
        if (d.code !== 'HYB002') expect(d.line, `${file} ${d.code}`).toBeGreaterThan(0);
      }
    }
  });

  it('points at the offending field, not just the file', () => {
    const at = (file: string) => diagnostics.filter((d) => d.file.endsWith(file)).map((d) => [d.code, d.path.join('.'), d.line]);
    expect(at('10-quantile-level.ts')).toEqual([['HYB101', 'measures.p99.level', 5]]);
    expect(at('13-order-unknown.ts')).toEqual([['HYB104', 'orderBy.0', 7]]);
    expect(at('01-syntax-error.ts')).toEqual([['HYB001', '', 5]]);
    expect(at('02-throws-on-import.ts')).toEqual([['HYB001', '', 7]]);
    expect(at('21-many-errors.ts')).toHaveLength(3);
  });

  it('renders as pinned, the same on the terminal', async () => {
    const rendered = diagnostics.map(formatDiagnostic).join('\n') + '\n';
    await expect(rendered).toMatchFileSnapshot(join(corpus, 'diagnostics.txt'));
    const run = hyb(args, projectRoot);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`${rendered}hyb compile: ${diagnostics.length} error(s); generated/ left as it was\n`);
  });
});
