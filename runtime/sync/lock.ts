/**
 * One of `hyb migrate` and `hyb sync` at a time per project: a backfill that
 * overlapped a sync could count a file twice. The lock is a file holding the
 * holder's pid, created exclusively; one whose process is gone is taken over.
 * It guards processes on this machine (as `hyb dev` runs them), not a fleet.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export class LockedError extends Error {}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Takes the project's tier lock for `what`; returns its release. */
export function takeTierLock(root: string, what: string): () => void {
  const path = join(root, '.hyb', 'tier.lock');
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid} ${what}`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const [pid, holder] = readFileSync(path, 'utf8').split(' ');
      if (alive(Number(pid))) throw new LockedError(`hyb ${holder} is running (pid ${pid}); ${what} waits for it to finish`);
      rmSync(path, { force: true }); // its process died without releasing it
    }
  }
  throw new LockedError(`could not take ${path}`);
}
