/**
 * `hyb query NAME`: one dashboard query through a running router, printed as
 * a table with where it came from — for analysts at a terminal.
 */
import { createClient, HybClientError, type QueryResult } from '../client/index.ts';

export interface QueryCliOptions {
  readonly url: string;
  readonly token?: string;
  readonly name: string;
  readonly timeRange: string | { from: string; to: string };
  /** `k=v` strings from --param. */
  readonly params: readonly string[];
  readonly via: 'auto' | 'mv' | 'chdb';
}

export class QueryCliError extends Error {}

interface CatalogParam {
  readonly name: string;
  readonly type: string;
}

/** --param values typed by the catalog: numbers for numeric parameters, booleans for Bool. */
async function typedParams(options: QueryCliOptions): Promise<Record<string, unknown>> {
  const response = await fetch(`${options.url}/queries`, { headers: options.token ? { authorization: `Bearer ${options.token}` } : {} });
  if (!response.ok) throw new QueryCliError(`GET /queries: HTTP ${response.status}`);
  const { queries } = (await response.json()) as { queries: { name: string; params: CatalogParam[] }[] };
  const entry = queries.find((q) => q.name === options.name);
  if (!entry) throw new QueryCliError(`NAME: no query named '${options.name}'; the router has: ${queries.map((q) => q.name).join(', ')}`);
  const params: Record<string, unknown> = {};
  for (const pair of options.params) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new QueryCliError(`--param: '${pair}' is not name=value`);
    const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
    const type = entry.params.find((p) => p.name === name)?.type;
    if (type && /Int|Float|Decimal/.test(type)) {
      if (value.trim() === '' || !Number.isFinite(Number(value))) throw new QueryCliError(`--param ${name}: '${value}' is not a number (${type})`);
      params[name] = Number(value);
    } else if (type === 'Bool') params[name] = value === 'true';
    else params[name] = value; // unknown names go as they are: the router names them in its 400
  }
  return params;
}

const cell = (v: unknown) => (v === null ? 'NULL' : typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(6))) : String(v));

/** Rows as an aligned text table; numbers right-aligned. */
export function formatTable(rows: readonly Record<string, unknown>[], limit = 100): string {
  if (rows.length === 0) return '(no rows)\n';
  const columns = Object.keys(rows[0]!);
  const shown = rows.slice(0, limit).map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...shown.map((r) => r[i]!.length)));
  const numeric = columns.map((c) => typeof rows[0]![c] === 'number');
  const line = (cells: readonly string[]) => cells.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(columns), widths.map((w) => '─'.repeat(w)).join('  '), ...shown.map(line)];
  if (rows.length > limit) out.push(`… ${rows.length - limit} more rows (--json prints all)`);
  return `${out.join('\n')}\n`;
}

/** Where an answer came from, in one line. */
export function describeSource(result: QueryResult<unknown>): string {
  const { meta } = result;
  const rows = `${result.rows.length} row${result.rows.length === 1 ? '' : 's'} in ${meta.elapsedMs} ms`;
  if (result.source === 'clickhouse') {
    return `${rows} from the ClickHouse MV (version ${meta.mvVersion} on ${meta.endpoint}; synced until ${meta.syncedUntil}, ${meta.staleness} s ago)`;
  }
  return `${rows} from chDB over the lake (${meta.reason})`;
}

export async function runQuery(options: QueryCliOptions): Promise<QueryResult<Record<string, unknown>>> {
  try {
    const params = await typedParams(options);
    const client = createClient({ baseUrl: options.url, token: options.token });
    return await client.query<Record<string, unknown>>(options.name, params, { timeRange: options.timeRange, via: options.via });
  } catch (error) {
    if (error instanceof HybClientError) throw new QueryCliError(`${error.message}${error.field ? '' : ` (HTTP ${error.status})`}`);
    if (error instanceof TypeError && /fetch failed/.test(error.message)) {
      throw new QueryCliError(`no router at ${options.url}; start the stack with \`npx hyb dev\` (or \`hyb serve router\`), or pass --url`);
    }
    throw error;
  }
}
