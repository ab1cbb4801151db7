import type { ChildProcess } from 'node:child_process';

/**
 * SIGTERM, then SIGKILL after `graceMs` (never, by default); resolves once the
 * child has exited — at once if it already has, by exit code or by signal.
 */
export function stopChild(child: ChildProcess, graceMs = Infinity): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = Number.isFinite(graceMs) ? setTimeout(() => child.kill('SIGKILL'), graceMs) : undefined;
    child.once('exit', () => (clearTimeout(kill), done()));
    child.kill('SIGTERM');
  });
}
