/**
 * A running hyb stack for router tests: a seeded local lake, the local store
 * migrated and synced, and the chDB service — each its own `hyb` process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lake.ts';
import { hyb } from './project.ts';
import { projectWithConfig, startService, type RunningService } from './services.ts';

export const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

export function hybOk(args: readonly string[], project: string): string {
  const result = hyb(args, project);
  if (result.status !== 0) throw new Error(`hyb ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

export class Stack {
  private constructor(
    readonly project: string,
    readonly lake: string,
    public store: RunningService,
    readonly chdb: RunningService,
    private config: Record<string, unknown>,
  ) {}

  /** Seeds `days` of data ending today, starts store and chDB service, migrates and syncs. */
  static async start(options: { days?: number; events?: number } = {}): Promise<Stack> {
    const lake = tempDir('lake');
    const config = { lake: { kind: 'local', path: lake }, store: { path: tempDir('store') } };
    const project = projectWithConfig(config);
    hybOk(['compile'], project);
    hybOk(['seed', '--via', 'direct', '--days', String(options.days ?? 3), '--events', String(options.events ?? 20_000)], project);
    const [store, chdb] = await Promise.all([startService(['store'], project), startService(['chdb'], project)]);
    const stack = new Stack(project, lake, store, chdb, config);
    stack.configure({ clickhouse: { url: store.url }, router: { chdbUrl: chdb.url } });
    hybOk(['migrate'], project);
    hybOk(['sync'], project);
    return stack;
  }

  /** Rewrites hyb.config.ts with `changes` merged in at the top level. */
  configure(changes: Record<string, unknown>): void {
    this.config = { ...this.config, ...changes };
    writeFileSync(join(this.project, 'hyb.config.ts'), `import { defineConfig } from './compiler/dsl/index.ts';\nexport default defineConfig(${JSON.stringify(this.config)});\n`);
  }

  /** Kills the store at once (SIGKILL: no flush, no goodbye), as a crash would. */
  async killStore(): Promise<void> {
    const { child } = this.store;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Starts the store again on its port, after a kill or stop. */
  async restartStore(): Promise<void> {
    await this.store.stop();
    this.store = await startService(['store'], this.project, {}, Number(new URL(this.store.url).port));
  }

  async stop(): Promise<void> {
    await Promise.all([this.store.stop(), this.chdb.stop()]);
  }
}
