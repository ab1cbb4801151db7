/**
 * The chDB service's Dockerfile (no Docker engine on the test machines): what
 * it copies exists, and the command it runs serves /health here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/lake.ts';
import { projectRoot } from './support/project.ts';
import { projectWithLake, startService } from './support/services.ts';

const dockerfile = readFileSync(join(projectRoot, 'runtime/chdb/Dockerfile'), 'utf8');

describe('runtime/chdb/Dockerfile', () => {
  it('copies only what exists', () => {
    const copied = [...dockerfile.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(copied.length).toBeGreaterThan(4);
    for (const path of copied) expect(existsSync(join(projectRoot, path)), path).toBe(true);
  });

  it('runs a command that serves the chDB service', async () => {
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd.slice(0, 4)).toEqual(['node', 'bin/hyb.mjs', 'serve', 'chdb']);
    // the same arguments, bar the fixed port (startService picks a free one)
    const args = cmd.slice(3).filter((a, i, all) => a !== '--port' && all[i - 1] !== '--port');
    const service = await startService(args, projectWithLake(tempDir('lake')));
    try {
      expect(service.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      const health = await fetch(service.url.replace('0.0.0.0', '127.0.0.1') + '/health');
      expect(health.status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});
