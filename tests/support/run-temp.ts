/**
 * vitest's global setup: one temporary folder for the whole test run, as
 * TMPDIR, removed when the run ends. The test forks and every process they
 * start inherit it, so fixtures (`tempDir`), chDB's session folders and what
 * processes killed on purpose leave behind go with it instead of piling up
 * in the system's temp folder (~300 MB a run before). A service a failed
 * test did not stop still has that TMPDIR, which is how the run's end finds
 * and ends it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'hyb-test-run-'));
  process.env.TMPDIR = dir;
  return () => {
    const killed = killLeftovers(dir);
    if (killed.length > 0) console.warn(`ended ${killed.length} process(es) the tests left running:\n  ${killed.join('\n  ')}`);
    rmSync(dir, { recursive: true, force: true });
  };
}

/**
 * What vitest itself ends after this teardown: its test forks, and the
 * esbuild service (`--ping`) a fork's compile started, which ends with it.
 */
const endsWithVitest = (command: string) => /vitest\/dist\/workers\/|\besbuild --service=\S+ --ping\b/.test(command);

/** SIGKILLs every other process whose environment has TMPDIR=`dir` (Linux's /proc); their command lines. */
export function killLeftovers(dir: string): string[] {
  const mark = `\0TMPDIR=${dir}\0`;
  const killed: string[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  } catch {
    return killed; // no /proc: nothing to look in
  }
  for (const pid of pids) {
    try {
      if (!`\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`.includes(mark)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
      if (endsWithVitest(command)) continue;
      process.kill(Number(pid), 'SIGKILL');
      killed.push(`${pid} ${command}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return killed;
}
