import { watch } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import { formatDiagnostic, HybError, type Diagnostic } from './diagnostics.ts';
import { MetricLoader } from './load.ts';
import { compileProject, staleFiles, writeGenerated } from './project.ts';

const HELP = `hyb — metrics-as-code for ClickHouse and Iceberg

Usage: hyb <command> [options]

Commands:
  compile           compile metrics/ into generated/
    --check         exit 1 with a diff when generated/ is stale; write nothing
    --watch         recompile whenever metrics/ or hyb.config.ts changes
    --json          print diagnostics as JSON
  help              this text

Options:
  --root DIR        the project folder (default: the current folder)
  --metrics DIR     the metric files (default: ROOT/metrics)
`;

function report(diagnostics: readonly Diagnostic[], json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify({ diagnostics }, null, 2)}\n`);
  else for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
}

/** In watch mode, what generated/ holds since the last write (saves reading it back). */
const written = new Map<string, string>();

async function compileOnce(
  root: string,
  flags: { check: boolean; json: boolean; metrics?: string },
  version: number,
  loader?: MetricLoader,
): Promise<number> {
  const started = performance.now();
  const result = await compileProject(root, { version, loader, metricsDir: flags.metrics && resolve(flags.metrics) });
  if (result.diagnostics.length > 0) {
    report(result.diagnostics, flags.json);
    process.stderr.write(`hyb compile: ${result.diagnostics.length} error(s); generated/ left as it was\n`);
    return 1;
  }
  if (flags.check) {
    const stale = await staleFiles(root, result.files);
    for (const [path, expected, actual] of stale) {
      process.stdout.write(createTwoFilesPatch(`a/${path}`, `b/${path}`, actual ?? '', expected ?? ''));
    }
    if (stale.length > 0) {
      process.stderr.write(`hyb compile --check: ${stale.length} generated file(s) are stale; run hyb compile\n`);
      return 1;
    }
    if (!flags.json) process.stderr.write(`hyb compile --check: generated/ is up to date (${result.metrics.length} metrics)\n`);
    return 0;
  }
  const changed = await writeGenerated(root, result.files, loader && written);
  const ms = (performance.now() - started).toFixed(0);
  if (flags.json) process.stdout.write(`${JSON.stringify({ diagnostics: [], metrics: result.metrics.length, changed })}\n`);
  else process.stderr.write(`hyb compile: ${result.metrics.length} metrics, ${changed} file(s) changed in ${ms} ms\n`);
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      check: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      root: { type: 'string', default: '.' },
      metrics: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command = 'help'] = positionals;
  const root = resolve(values.root);
  if (values.help || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command !== 'compile') throw new HybError('HYB_USAGE', `unknown command '${command}'; see hyb --help`);
  if (!values.watch) return compileOnce(root, values, 0);

  let version = 1;
  const loader = new MetricLoader();
  await compileOnce(root, values, version, loader);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const rerun = () => {
    clearTimeout(timer);
    // One compile at a time: a rerun waits for the one in flight.
    timer = setTimeout(() => (running = running.then(() => compileOnce(root, values, ++version, loader))), 20);
  };
  watch(values.metrics ? resolve(values.metrics) : join(root, 'metrics'), { recursive: true }, rerun);
  watch(root, (_event, name) => name === 'hyb.config.ts' && rerun());
  process.stderr.write('hyb compile --watch: watching metrics/ and hyb.config.ts\n');
  return new Promise(() => {});
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const code = error instanceof HybError ? error.code : 'HYB_INTERNAL';
    process.stderr.write(`hyb: ${code}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
