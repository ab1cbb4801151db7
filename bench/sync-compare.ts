/**
 * `hyb sync` of this checkout and of another one side by side on the bench
 * lake of bench/sync.ts, alternating: for a change to the sync whose effect
 * is smaller than this VM's run-to-run noise (±15%), pairs taken seconds
 * apart say more than two single runs. Per pair, each checkout migrates a
 * fresh store (`hyb serve store` of this checkout) and syncs the whole lake
 * into it; then, on a store already synced, passes with nothing new to load
 * (start-up, listing and state: what a cron-run sync pays every time).
 *
 *   git worktree add /tmp/before HEAD~1
 *   mkdir /tmp/before/node_modules && ln -s "$PWD"/node_modules/* "$PWD"/node_modules/.bin /tmp/before/node_modules/
 *   node --import tsx bench/sync-compare.ts /tmp/before [pairs, default 6]
 *
 * (The other checkout's node_modules is a folder of links rather than one
 * link, so the two keep their own CLI bundle caches.) Prints each run and
 * the medians; writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureBenchLake, median, projectRoot, withFreshStore } from './support.ts';

const other = process.argv[2];
if (!other || !existsSync(join(other, 'bin/hyb.mjs'))) throw new Error('usage: bench/sync-compare.ts <other checkout> [pairs]');
const PAIRS = Number(process.argv[3] ?? 6);
const dir = join(projectRoot, 'bench/.data/lake-10m');
ensureBenchLake();
if (!existsSync(join(dir, 'metrics'))) symlinkSync(join(projectRoot, 'metrics'), join(dir, 'metrics'));
const checkouts = { this: join(projectRoot, 'bin/hyb.mjs'), other: join(resolve(other), 'bin/hyb.mjs') };
type Name = keyof typeof checkouts;

/** Runs `hyb <args>` of a checkout in the bench project; seconds. */
function hyb(name: Name, args: string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, [checkouts[name], ...args], { cwd: dir, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${name}: hyb ${args.join(' ')}: ${run.stderr}`);
  return (performance.now() - started) / 1000;
}

const whole: Record<Name, number[]> = { this: [], other: [] };
const idle: Record<Name, number[]> = { this: [], other: [] };
for (let pair = 0; pair < PAIRS; pair++) {
  const order: Name[] = pair % 2 === 0 ? ['this', 'other'] : ['other', 'this'];
  for (const name of order) {
    const seconds = await withFreshStore(dir, () => {
      hyb(name, ['migrate']);
      const taken = hyb(name, ['sync']);
      // passes with nothing new, alternating on this store
      for (const each of order) idle[each].push(hyb(each, ['sync']));
      return taken;
    });
    whole[name].push(seconds);
    process.stderr.write(`pair ${pair + 1}/${PAIRS}: ${name} ${seconds.toFixed(2)} s\n`);
  }
}
const wins = whole.this.filter((s, i) => s < whole.other[i]!).length;
console.log(`whole sync, ${PAIRS} pairs: this ${median(whole.this).toFixed(2)} s (${whole.this.map((s) => s.toFixed(2)).join(', ')}), other ${median(whole.other).toFixed(2)} s (${whole.other.map((s) => s.toFixed(2)).join(', ')}); this faster in ${wins} of ${PAIRS}`);
console.log(`a pass with nothing new, ${idle.this.length} each: this ${(median(idle.this) * 1000).toFixed(0)} ms, other ${(median(idle.other) * 1000).toFixed(0)} ms`);
