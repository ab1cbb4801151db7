/**
 * The dashboard page: one panel per query of the router's catalog, each
 * drawn with its generated TanStack Query hook. Time series (a `time`
 * column) are line charts, the rest tables. Every panel says which path
 * answered (MV or chDB), how fast, and how stale.
 */
import { QueryClient, QueryClientProvider, useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient, type QueryResult } from '../client/index.ts';
import { HybProvider, type HookOptions } from '../client/react.ts';

type Row = Record<string, unknown>;
/** A generated hook, seen from a page that does not know its types. */
export type AnyHook = (params: Record<string, string>, options?: HookOptions) => UseQueryResult<QueryResult<Row>>;

interface CatalogEntry {
  readonly name: string;
  readonly description: string;
  readonly grain: string | null;
  readonly params: readonly { readonly name: string; readonly type: string; readonly required: boolean }[];
  readonly columns: readonly { readonly name: string; readonly type: string; readonly format?: 'ratio' }[];
}

const RANGES = ['1h', '24h', '7d', '30d'] as const;
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
const isNumeric = (type: string) => /Int|Float|Decimal/.test(type);
/** A ratio as a percentage, anything else numeric to 4 significant digits. */
const show = (v: unknown, ratio: boolean) =>
  typeof v !== 'number' ? String(v ?? '—') : ratio ? `${Number((v * 100).toPrecision(3))}%` : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));

function LineChart(props: { rows: readonly Row[]; series: (row: Row) => string; measure: string; ratio: boolean }) {
  const width = 560;
  const height = 180;
  const pad = { left: 48, right: 8, top: 8, bottom: 20 };
  const bySeries = new Map<string, [number, number][]>();
  for (const row of props.rows) {
    const value = Number(row[props.measure] ?? 0);
    const key = props.series(row);
    (bySeries.get(key) ?? bySeries.set(key, []).get(key)!).push([Date.parse(String(row.time)), value]);
  }
  // the six series with the largest totals
  const shown = [...bySeries].sort((a, b) => b[1].reduce((s, p) => s + p[1], 0) - a[1].reduce((s, p) => s + p[1], 0)).slice(0, COLORS.length);
  const points = shown.flatMap(([, p]) => p);
  const [x0, x1] = [Math.min(...points.map((p) => p[0])), Math.max(...points.map((p) => p[0]))];
  const y1 = Math.max(...points.map((p) => p[1]), 0) || 1;
  const x = (t: number) => pad.left + ((t - x0) / (x1 - x0 || 1)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - (v / y1) * (height - pad.top - pad.bottom);
  return (
    <figure>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${props.measure} over time`}>
        <line x1={pad.left} y1={y(0)} x2={width - pad.right} y2={y(0)} stroke="#ccc" />
        <text x={pad.left - 4} y={y(y1) + 10} textAnchor="end">{show(Number(y1.toPrecision(3)), props.ratio)}</text>
        <text x={pad.left - 4} y={y(0)}  textAnchor="end">0</text>
        <text x={pad.left} y={height - 4}>{new Date(x0).toISOString().slice(0, 16).replace('T', ' ')}</text>
        <text x={width - pad.right} y={height - 4} textAnchor="end">{new Date(x1).toISOString().slice(0, 16).replace('T', ' ')}</text>
        {shown.map(([key, p], i) => (
          <polyline key={key} fill="none" stroke={COLORS[i]} strokeWidth={1.5} points={p.sort((a, b) => a[0] - b[0]).map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')} />
        ))}
      </svg>
      <figcaption>
        {shown.map(([key], i) => (
          <span key={key} className="legend"><i style={{ background: COLORS[i] }} />{key}</span>
        ))}
      </figcaption>
    </figure>
  );
}

function Figure(props: { row: Row; column: CatalogEntry['columns'][number] }) {
  return (
    <p className="figure">
      {show(props.row[props.column.name], props.column.format === 'ratio')}
      <small>{props.column.name}</small>
    </p>
  );
}

function Table(props: { rows: readonly Row[]; columns: CatalogEntry['columns'] }) {
  return (
    <table>
      <thead><tr>{props.columns.map((c) => <th key={c.name}>{c.name}</th>)}</tr></thead>
      <tbody>
        {props.rows.slice(0, 20).map((row, i) => (
          <tr key={i}>{props.columns.map((c) => <td key={c.name} className={isNumeric(c.type) ? 'num' : ''}>{show(row[c.name], c.format === 'ratio')}</td>)}</tr>
        ))}
      </tbody>
    </table>
  );
}

function Panel(props: { entry: CatalogEntry; hook: AnyHook; range: string }) {
  const { entry } = props;
  const [params, setParams] = useState<Record<string, string>>({});
  const missing = entry.params.filter((p) => p.required && !params[p.name]);
  const filled = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== ''));
  const result = props.hook(filled, { timeRange: props.range, query: { enabled: missing.length === 0, refetchInterval: 30_000 } });
  const measures = entry.columns.filter((c) => c.name !== 'time' && isNumeric(c.type)).map((c) => c.name);
  const dims = entry.columns.filter((c) => c.name !== 'time' && !isNumeric(c.type)).map((c) => c.name);
  const [measure, setMeasure] = useState(measures[0] ?? '');
  const answer = result.data;
  const chart = entry.columns.some((c) => c.name === 'time');
  // one number over the range (unique visitors): shown as a figure, not a one-cell table
  const single = !chart && entry.columns.length === 1 && isNumeric(entry.columns[0]!.type) && answer?.rows.length === 1;
  return (
    <section className="panel" data-panel={entry.name} data-source={answer?.source ?? ''} data-rows={answer?.rows.length ?? ''} data-state={result.status}>
      <header>
        <h2 title={entry.name}>{entry.description || entry.name}</h2>
        {answer && (
          <span className={`badge ${answer.source}`} title={answer.meta.reason ?? `MV ${answer.meta.mvVersion} on ${answer.meta.endpoint}`}>
            {answer.source === 'clickhouse' ? 'MV' : 'chDB'} · {answer.meta.elapsedMs.toFixed(1)} ms
            {answer.meta.staleness !== null ? ` · ${answer.meta.staleness} s stale` : ''}
            {answer.meta.cached ? ' · cached' : ''}
          </span>
        )}
      </header>
      {entry.params.length > 0 && (
        <form className="params" onSubmit={(e) => e.preventDefault()}>
          {entry.params.map((p) => (
            <label key={p.name}>
              {p.name}{p.required ? '*' : ''}
              <input name={p.name} value={params[p.name] ?? ''} onChange={(e) => setParams({ ...params, [p.name]: e.target.value })} />
            </label>
          ))}
        </form>
      )}
      {chart && measures.length > 1 && (
        <select aria-label="measure" value={measure} onChange={(e) => setMeasure(e.target.value)}>
          {measures.map((m) => <option key={m}>{m}</option>)}
        </select>
      )}
      {missing.length > 0 && <p className="hint">Enter {missing.map((p) => p.name).join(', ')} to run this query.</p>}
      {result.error && <p className="error">{result.error.message}</p>}
      {answer && answer.rows.length === 0 && <p className="hint">No rows in this range.</p>}
      {answer && answer.rows.length > 0 && (chart ? <LineChart rows={answer.rows} measure={measure} ratio={entry.columns.some((c) => c.name === measure && c.format === 'ratio')} series={(row) => (dims.length ? dims.map((d) => String(row[d])).join(' · ') : measure)} /> : single ? <Figure row={answer.rows[0]!} column={entry.columns[0]!} /> : <Table rows={answer.rows} columns={entry.columns} />)}
    </section>
  );
}

function Dashboard(props: { hooks: Readonly<Record<string, AnyHook>>; token: string | undefined }) {
  const [range, setRange] = useState('7d');
  const catalog = useQuery({
    queryKey: ['hyb-catalog'],
    queryFn: async () => {
      const response = await fetch('/queries', { headers: props.token ? { authorization: `Bearer ${props.token}` } : {} });
      return ((await response.json()) as { queries: CatalogEntry[] }).queries;
    },
    refetchInterval: 5_000,
  });
  // A query this page was built without: the router has a newer bundle.
  const outdated = catalog.data?.some((q) => !props.hooks[q.name]) ?? false;
  useEffect(() => {
    if (outdated) location.reload();
  }, [outdated]);
  return (
    <main>
      <header className="top">
        <h1>hyb</h1>
        <nav aria-label="time range">
          {RANGES.map((r) => (
            <button key={r} aria-pressed={r === range} onClick={() => setRange(r)}>{r}</button>
          ))}
        </nav>
      </header>
      {catalog.error && <p className="error">catalog: {catalog.error.message}</p>}
      <div className="grid">
        {catalog.data?.filter((q) => props.hooks[q.name]).map((q) => <Panel key={q.name} entry={q} hook={props.hooks[q.name]!} range={range} />)}
      </div>
    </main>
  );
}

/** Mounts the dashboard into #root with the project's generated hooks. */
export function mount(hooks: Readonly<Record<string, AnyHook>>): void {
  const token = new URLSearchParams(location.search).get('token') ?? undefined;
  const client = createClient({ baseUrl: location.origin, token });
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } });
  createRoot(document.getElementById('root')!).render(
    <QueryClientProvider client={queryClient}>
      <HybProvider client={client}>
        <Dashboard hooks={hooks} token={token} />
      </HybProvider>
    </QueryClientProvider>,
  );
}
