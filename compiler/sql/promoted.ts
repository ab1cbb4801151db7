/**
 * Promoted attributes: every attribute a metric reads (`logs.attr('url.path')`)
 * is also kept in the lake as a plain column of its own, next to the full
 * attribute map, and the fallback queries read that column. Reading one key
 * out of a Map column decodes every key of every row; a plain column is one
 * string per row (web_vitals over 10 M events: ~1.15 s on the map, ~0.58 s
 * on the columns; bench/RESULTS.md, "Fallback queries").
 *
 * The column holds exactly `map['key']` (an empty string where the key is
 * absent), so the two agree row for row. It is Nullable in the lake only so
 * that it can be added to a table that already has files: a file written
 * before the column existed reads it as NULL, and the lake view
 * (sources.ts, `lakeViewDDL`) computes the value from the map for such files.
 */
import { createHash } from 'node:crypto';
import type { ExprNode, MetricIR } from '../ir.ts';
import { sourceNames, type SourceName } from '../../schemas/sources.ts';
import { byCodeUnit } from '../codegen/names.ts';

export interface PromotedAttribute {
  /** The map column, e.g. `LogAttributes`. */
  readonly map: string;
  readonly key: string;
  /** The lake column that holds `map[key]`. */
  readonly column: string;
}

/** Per source, sorted by column name. Sources no metric reads attributes of are absent. */
export type PromotedAttributes = Readonly<Partial<Record<SourceName, readonly PromotedAttribute[]>>>;

/**
 * The column name of `map[key]`: `LogAttributes__url_path`. Dots become
 * underscores (names stay plain identifiers for ClickHouse, Parquet, Iceberg
 * readers and Pipelines streams alike). A key with any other character,
 * underscores included, gets a short hash of itself too, so `url.path` and
 * `url_path` cannot meet in one column.
 */
export function promotedColumn(map: string, key: string): string {
  const plain = key.replace(/\./g, '_');
  const exact = /^[A-Za-z0-9.]+$/.test(key);
  const suffix = exact ? '' : `_${createHash('sha256').update(key).digest('hex').slice(0, 6)}`;
  return `${map}__${plain.replace(/[^A-Za-z0-9_]/g, '_')}${suffix}`;
}

/** Every attribute node below `value` (IR is plain data: any object of kind `attr`). */
function visitAttrs(value: unknown, visit: (attr: Extract<ExprNode, { kind: 'attr' }>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visitAttrs(item, visit);
  } else if (value !== null && typeof value === 'object') {
    const node = value as { kind?: unknown };
    if (node.kind === 'attr') visit(value as Extract<ExprNode, { kind: 'attr' }>);
    else for (const child of Object.values(value)) visitAttrs(child, visit);
  }
}

/** A copy of `value` with every attribute node replaced by `replace(node)`. */
function mapAttrs<T>(value: T, replace: (attr: Extract<ExprNode, { kind: 'attr' }>) => ExprNode): T {
  if (Array.isArray(value)) return value.map((item: unknown) => mapAttrs(item, replace)) as T;
  if (value !== null && typeof value === 'object') {
    const node = value as { kind?: unknown };
    if (node.kind === 'attr') return replace(value as unknown as Extract<ExprNode, { kind: 'attr' }>) as T;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapAttrs(v, replace)])) as T;
  }
  return value;
}

/** The metric as the lake answers it: each attribute read from its promoted column. */
export function promoteAttributes(ir: MetricIR): MetricIR {
  return mapAttrs(ir, (a): ExprNode => ({ kind: 'column', name: promotedColumn(a.map, a.key), type: 'string' }));
}

/** The attributes the metrics read, per source: what the lake promotes. */
export function collectPromoted(metrics: readonly MetricIR[]): PromotedAttributes {
  const found = new Map<SourceName, Map<string, PromotedAttribute>>();
  for (const ir of metrics) {
    visitAttrs(ir, ({ map, key }) => {
      const column = promotedColumn(map, key);
      const bySource = found.get(ir.source) ?? new Map<string, PromotedAttribute>();
      bySource.set(column, { map, key, column });
      found.set(ir.source, bySource);
    });
  }
  const result: Partial<Record<SourceName, readonly PromotedAttribute[]>> = {};
  for (const source of sourceNames) {
    const bySource = found.get(source);
    if (bySource) result[source] = [...bySource.values()].sort((a, b) => byCodeUnit(a.column, b.column));
  }
  return result;
}
