import { sources } from '../schemas/sources.ts';
import { metricDefinitionSchema } from '../schemas/metric.ts';
import type { MetricDefinition } from './dsl/define-metric.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { ExprNode, MeasureNode, MetricIR } from './ir.ts';

export interface RawDiagnostic {
  readonly code: string;
  readonly message: string;
  readonly path: readonly (string | number)[];
}

export const snakeCase = (name: string): string =>
  name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^a-zA-Z0-9]+/g, '_').toLowerCase();

const mapValues = <T, U>(record: Readonly<Record<string, T>> | undefined, fn: (v: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, fn(v)]));

/** Definition → IR, or the structural problems that keep it from being one. */
export function buildIR(
  definition: unknown,
  exportName: string,
  defaults: { retentionDays: number },
): { ir?: MetricIR; diagnostics: RawDiagnostic[] } {
  const parsed = metricDefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    return {
      diagnostics: parsed.error.issues.map((issue) => ({ code: 'HYB003', message: issue.message, path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)) })),
    };
  }
  const def = definition as MetricDefinition;
  const source = def.source.source as MetricIR['source'];
  const ir: MetricIR = {
    name: def.name ?? snakeCase(exportName),
    description: def.description ?? '',
    source,
    timeColumn: sources[source].timeColumn,
    grain: def.grain ?? null,
    rollupGrain: def.rollupGrain ?? def.grain ?? (def.entity ? 'day' : 'hour'),
    where: (def.where ?? []).map((e) => e.node),
    dimensions: mapValues(def.dimensions, (e) => e.node),
    measures: mapValues(def.measures, (m) => m.node),
    entity: def.entity ? { key: def.entity.key.node, values: mapValues(def.entity.values, (m) => m.node) } : null,
    params: Object.entries(def.params ?? {}).map(([name, p]) => ({ name, column: p.column.node, required: p.required })),
    orderBy: (def.orderBy ?? []).map(([column, direction]) => ({ column, direction })),
    limit: def.limit ?? null,
    rollup: def.rollup ?? true,
    retentionDays: def.retentionDays ?? defaults.retentionDays,
    maxStalenessSeconds: def.maxStalenessSeconds ?? null,
  };
  return { ir, diagnostics: [] };
}

/** Every sub-expression of a measure. */
function measureExprs(m: MeasureNode): ExprNode[] {
  switch (m.kind) {
    case 'count':
    case 'ratio':
      return [];
    case 'countIf':
      return [m.cond];
    case 'sum':
    case 'min':
    case 'max':
    case 'avg':
    case 'uniq':
    case 'uniqExact':
    case 'quantile':
      return [m.expr];
    case 'argMin':
    case 'argMax':
      return [m.expr, m.by];
    case 'funnel':
      return [m.by, ...m.steps];
    default: {
      const never: never = m;
      throw new Error(`unhandled measure ${JSON.stringify(never)}`);
    }
  }
}

function walk(e: ExprNode, visit: (e: ExprNode) => void): void {
  visit(e);
  switch (e.kind) {
    case 'column':
    case 'attr':
    case 'literal':
    case 'entity':
      return;
    case 'compare':
    case 'arith':
      walk(e.left, visit);
      walk(e.right, visit);
      return;
    case 'in':
      walk(e.expr, visit);
      e.values.forEach((v) => walk(v, visit));
      return;
    case 'logical':
      e.args.forEach((a) => walk(a, visit));
      return;
    case 'not':
    case 'toFloat':
      walk(e.arg, visit);
      return;
    default: {
      const never: never = e;
      throw new Error(`unhandled expression ${JSON.stringify(never)}`);
    }
  }
}

const NON_MERGEABLE_QUANTILES = new Set(['tdigest', 'sampling']);

/**
 * The semantic checks, the mergeability analysis among them: a rollup that
 * could answer wrong is never emitted.
 */
export function checkIR(ir: MetricIR): RawDiagnostic[] {
  const out: RawDiagnostic[] = [];
  const report = (code: string, path: (string | number)[], message: string) => out.push({ code, path, message });
  const table = sources[ir.source];
  const mapColumns = new Set(table.columns.filter((c) => c.type.startsWith('Map(')).map((c) => c.name));
  const entityValues = ir.entity ? Object.keys(ir.entity.values) : [];

  /** Checks one expression; `level` says which columns it may read. */
  const checkExpr = (e: ExprNode, path: (string | number)[], level: 'row' | 'entity') =>
    walk(e, (n) => {
      if (n.kind === 'column' && !table.columns.some((c) => c.name === n.name)) {
        report('HYB100', path, `${ir.source} has no column '${n.name}'`);
      }
      if (n.kind === 'attr' && !mapColumns.has(n.map)) {
        report('HYB100', path, `${ir.source} has no attribute map '${n.map}'`);
      }
      if (n.kind === 'entity' && level === 'row') {
        report('HYB106', path, ir.entity ? `entity value '${n.name}' can only be read by dimensions and measures` : `reads entity value '${n.name}' but the metric declares no entity`);
      }
      if (n.kind === 'entity' && level === 'entity' && !entityValues.includes(n.name)) {
        report('HYB106', path, `the entity has no value '${n.name}' (it has: ${entityValues.join(', ')})`);
      }
      if (level === 'entity' && (n.kind === 'column' || n.kind === 'attr')) {
        report('HYB113', path, 'a two-level metric reads entity values here, not source columns; add the column to entity values');
      }
    });

  const checkMeasures = (measures: Readonly<Record<string, MeasureNode>>, root: string, level: 'row' | 'entity') => {
    for (const [name, m] of Object.entries(measures)) {
      const path = [root, name];
      measureExprs(m).forEach((e) => checkExpr(e, path, level));
      if (m.kind === 'quantile' && !(m.level > 0 && m.level < 1)) {
        report('HYB101', [...path, 'level'], `quantile level ${m.level} is not between 0 and 1`);
      }
      if (m.kind === 'quantile' && ir.rollup && NON_MERGEABLE_QUANTILES.has(m.algorithm)) {
        report('HYB102', path, `quantile algorithm '${m.algorithm}' does not merge exactly from rollup states; use 'dd' (the default) or set rollup: false`);
      }
      if (m.kind === 'funnel' && level !== 'row') {
        report('HYB107', path, 'funnel() is an entity value: declare it in entity(key, { level: funnel(...) })');
      }
      if (m.kind === 'funnel' && root === 'measures' && ir.entity === null) {
        report('HYB107', path, 'funnel() is an entity value: declare it in entity(key, { level: funnel(...) })');
      }
      if (m.kind === 'funnel' && (m.steps.length < 2 || m.windowSeconds <= 0)) {
        report('HYB107', path, 'a funnel needs at least two steps and a positive window');
      }
      if (m.kind === 'ratio') {
        for (const side of [m.numerator, m.denominator]) {
          const target = measures[side];
          if (!target) report('HYB103', path, `ratio refers to '${side}', which is not a measure here (have: ${Object.keys(measures).join(', ')})`);
          else if (target.kind === 'ratio') report('HYB103', path, `ratio refers to '${side}', which is itself a ratio`);
        }
        if (root === 'entity') report('HYB103', path, 'a ratio cannot be an entity value');
      }
    }
  };

  ir.where.forEach((e, i) => {
    checkExpr(e, ['where', i], 'row');
    if (e.type !== 'bool') report('HYB112', ['where', i], 'a filter must be a condition such as .eq(...)');
  });
  if (ir.entity) {
    checkExpr(ir.entity.key, ['entity', 'key'], 'row');
    checkMeasures(ir.entity.values, 'entity', 'row');
  }
  const level = ir.entity ? 'entity' : 'row';
  for (const [name, e] of Object.entries(ir.dimensions)) checkExpr(e, ['dimensions', name], level);
  checkMeasures(ir.measures, 'measures', level);

  for (const p of ir.params) {
    let readsEntity = false;
    walk(p.column, (n) => (readsEntity ||= n.kind === 'entity'));
    if (readsEntity) {
      report('HYB110', ['params', p.name], `parameter '${p.name}' filters on an entity value, which is not in the rollup key; filter on a source column`);
    } else {
      checkExpr(p.column, ['params', p.name], 'row');
    }
  }

  const outputs = [...(ir.grain ? ['time'] : []), ...Object.keys(ir.dimensions), ...Object.keys(ir.measures)];
  const seen = new Set<string>();
  for (const name of outputs) {
    if (seen.has(name)) report('HYB109', [Object.hasOwn(ir.measures, name) ? 'measures' : 'dimensions', name], `output column '${name}' is declared twice${name === 'time' ? " ('time' is the grain's column)" : ''}`);
    seen.add(name);
  }
  for (const p of ir.params) {
    if (p.name === 'from' || p.name === 'to') report('HYB109', ['params', p.name], `parameter name '${p.name}' is reserved for the time range`);
  }
  ir.orderBy.forEach((o, i) => {
    if (!seen.has(o.column)) report('HYB104', ['orderBy', i], `orders by '${o.column}', which is not an output column (have: ${outputs.join(', ')})`);
  });
  if (ir.limit !== null && ir.orderBy.length === 0) {
    report('HYB105', ['limit'], 'a limit without orderBy picks arbitrary rows; declare orderBy');
  }
  if (ir.grain && ir.rollupGrain !== ir.grain) {
    report('HYB111', ['rollupGrain'], `rollupGrain '${ir.rollupGrain}' must equal grain '${ir.grain}' when the metric has a grain`);
  }
  return out;
}

export function toDiagnostic(raw: RawDiagnostic, file: string): Diagnostic {
  return { ...raw, file };
}
