/**
 * Builds the dashboard page for a project: esbuild bundles
 * runtime/dashboard/app.tsx with the project's generated hooks (React,
 * TanStack Query and all) into one script. `hyb serve router` serves it at
 * `/` from memory; `hyb dev --worker` writes it to .hyb/dashboard for
 * wrangler's static assets.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export interface DashboardPage {
  readonly html: string;
  readonly script: string;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #111; }
main { max-width: 1280px; margin: 0 auto; padding: 16px; }
.top { display: flex; align-items: center; justify-content: space-between; }
h1 { font-size: 20px; margin: 0; }
nav button { margin-left: 4px; padding: 4px 10px; border: 1px solid #bbb; background: #fff; border-radius: 4px; cursor: pointer; }
nav button[aria-pressed=true] { background: #111; color: #fff; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 12px; margin-top: 12px; }
.panel { background: #fff; border: 1px solid #e3e5e8; border-radius: 6px; padding: 10px 12px; min-height: 120px; }
.panel header { display: flex; justify-content: space-between; gap: 8px; align-items: baseline; }
h2 { font-size: 14px; margin: 0 0 6px; }
.badge { font-size: 11px; padding: 1px 6px; border-radius: 8px; white-space: nowrap; }
.badge.clickhouse { background: #dcfce7; color: #166534; }
.badge.chdb { background: #fef3c7; color: #92400e; }
svg { width: 100%; height: auto; font-size: 10px; fill: #666; }
figcaption { font-size: 11px; } .legend { margin-right: 8px; } .legend i { display: inline-block; width: 8px; height: 8px; margin-right: 3px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; } th, td { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eee; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.params label { margin-right: 8px; font-size: 12px; } .params input { margin-left: 4px; width: 160px; }
.hint { color: #666; } .error { color: #b91c1c; }
.figure { font-size: 40px; font-weight: 600; margin: 12px 0 4px; font-variant-numeric: tabular-nums; } .figure small { display: block; font-size: 12px; font-weight: 400; color: #666; }
`;

export async function buildDashboard(root: string): Promise<DashboardPage> {
  const result = await build({
    stdin: {
      contents: "import { hooksByQuery } from './generated/hooks.ts';\nimport { mount } from './runtime/dashboard/app.tsx';\nmount(hooksByQuery);\n",
      resolveDir: root,
      sourcefile: 'dashboard-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>hyb dashboard</title><style>${STYLE}</style></head>
<body><div id="root"></div><script type="module" src="/dashboard.js"></script></body>
</html>
`;
  return { html, script: result.outputFiles[0]!.text };
}

/** Writes the page as static files: index.html and dashboard.js. */
export async function writeDashboard(root: string, dir: string): Promise<void> {
  const page = await buildDashboard(root);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), page.html);
  writeFileSync(join(dir, 'dashboard.js'), page.script);
}
