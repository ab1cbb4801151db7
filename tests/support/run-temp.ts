/**
 * vitest's global setup: one temporary folder for the whole test run, as
 * TMPDIR, removed when the run ends. The test forks and every process they
 * start inherit it, so fixtures (`tempDir`), chDB's session folders and what
 * processes killed on purpose leave behind go with it instead of piling up
 * in the system's temp folder (~300 MB a run before).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'hyb-test-run-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
