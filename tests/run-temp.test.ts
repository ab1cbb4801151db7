/**
 * Temporary files of a test run go under the run's own folder
 * (tests/support/run-temp.ts), in the test forks and in the processes they
 * start, so the run's end removes them.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/lake.ts';

describe('the test run temp folder', () => {
  it('holds the fixtures and is what spawned processes see as their temp folder', () => {
    const run = tmpdir();
    expect(basename(run)).toMatch(/^hyb-test-run-/);
    expect(dirname(tempDir('probe'))).toBe(run);
    const child = execFileSync(process.execPath, ['-e', 'process.stdout.write(require("node:os").tmpdir())'], { encoding: 'utf8' });
    expect(child).toBe(run);
  });
});
