#!/usr/bin/env node
// `hyb compile`, `migrate` and `sync` run from an esbuild bundle of the CLI
// (cli-bundle.mjs), which starts ~0.3 s sooner (a cron-run sync pays
// start-up every pass); the services, and a command whose bundle cannot be
// built or stored, run the TypeScript through tsx (the services import the
// project's generated .ts files as they run).
const bundle = ['compile', 'migrate', 'sync'].includes(process.argv[2]) ? await import('./cli-bundle.mjs').then(({ cliBundle }) => cliBundle()).catch(() => null) : null;
if (bundle) await import(bundle);
else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../compiler/cli.ts');
}
