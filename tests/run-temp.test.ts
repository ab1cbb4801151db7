/**
 * Temporary files of a test run go under the run's own folder
 * (tests/support/run-temp.ts), in the test forks and in the processes they
 * start, so the run's end removes them.
 */
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/lake.ts';
import { killLeftovers } from './support/run-temp.ts';

describe('the test run temp folder', () => {
  it('holds the fixtures and is what spawned processes see as their temp folder', () => {
    const run = tmpdir();
    expect(basename(run)).toMatch(/^hyb-test-run-/);
    expect(dirname(tempDir('probe'))).toBe(run);
    const child = execFileSync(process.execPath, ['-e', 'process.stdout.write(require("node:os").tmpdir())'], { encoding: 'utf8' });
    expect(child).toBe(run);
  });

  it("ends, at the run's end, the processes still running with its folder, and no other", async () => {
    const folder = tempDir('leftovers');
    const forever = ['-e', 'setInterval(() => {}, 1000)'];
    const left = spawn(process.execPath, forever, { env: { ...process.env, TMPDIR: folder }, stdio: 'ignore' });
    const other = spawn(process.execPath, forever, { env: { ...process.env, TMPDIR: tempDir('other') }, stdio: 'ignore' });
    // esbuild's service ends with the test fork that started it, which vitest ends: spared
    const helper = spawn(process.execPath, [...forever, 'esbuild', '--service=0.0.0', '--ping'], { env: { ...process.env, TMPDIR: folder }, stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const exited = new Promise((r) => left.once('exit', (_, signal) => r(signal)));
      const killed = killLeftovers(folder);
      expect(killed).toEqual([expect.stringMatching(new RegExp(`^${left.pid} `))]);
      expect(await exited).toBe('SIGKILL');
      for (const alive of [other, helper]) expect([alive.exitCode, alive.signalCode]).toEqual([null, null]);
    } finally {
      for (const child of [left, other, helper]) child.kill('SIGKILL');
    }
  });
});
