import { createHash } from 'node:crypto';
import type { MeasureNode, MetricIR, ParamIR } from '../ir.ts';
import { chType, compileExpr, entityColumn, grainFunction, quoteIdent, typed } from './expr.ts';
import { finishRatio, measureType, shareQuantiles, sqlFor } from './measures.ts';
import { promoteAttributes } from './promoted.ts';
import { DEDUPLICATION } from './sources.ts';

export interface OutputColumn {
  readonly name: string;
  readonly type: string;
  /** `ratio`: a ratio() measure, a fraction a page shows as a percentage. */
  readonly format?: 'ratio';
}

export interface MetricSql {
  readonly version: string;
  readonly target: string | null;
  readonly mv: string | null;
  /** CREATE TABLE of the rollup target (null for raw-only metrics). */
  readonly targetDDL: string | null;
  readonly mvDDL: string | null;
  /** Fills a new target from rows staged in `backfillTable(source)`, as the MV would have. */
  readonly backfill: string | null;
  /** The read of the rollup; null for raw-only metrics. */
  readonly mvQuery: string | null;
  /** The same answer from the raw lake tables. */
  readonly fallbackQuery: string;
  readonly columns: readonly OutputColumn[];
  readonly params: readonly { name: string; type: string; required: boolean }[];
}

/** The staging copy of a source table that backfills read. */
export const backfillTable = (source: string): string => `hyb_backfill_${source}`;

export interface EmitOptions {
  /** The database the lake's source views live in, for the fallback query. */
  readonly lakeDatabase: string;
  /** Emit ON CLUSTER and Replicated engines for this cluster. */
  readonly cluster?: string;
}

/**
 * A short hash of the definition and of the rollup's columns as emitted: a
 * changed metric, or a compiler that lays out its rollup differently, gets
 * new objects (and `hyb migrate` backfills them).
 */
export function metricVersion(ir: MetricIR, rollupColumns: readonly { name: string; type: string; expr: string }[] | null, layout = ''): string {
  const { maxStalenessSeconds: _routing, ...shape } = ir;
  return createHash('sha256')
    .update(JSON.stringify(shape))
    .update(rollupColumns ? JSON.stringify(rollupColumns) : '')
    .update(layout)
    .digest('hex')
    .slice(0, 8);
}

const RANGE_FROM = "{from:DateTime64(3, 'UTC')}";
const RANGE_TO = "{to:DateTime64(3, 'UTC')}";

interface Select {
  readonly select: readonly string[];
  readonly from: string;
  readonly where?: readonly string[];
  readonly groupBy?: readonly string[];
  readonly orderBy?: readonly string[];
  readonly limit?: number | null;
}

function render(q: Select): string {
  const parts = [`SELECT ${q.select.join(', ')}`, `FROM ${q.from}`];
  if (q.where?.length) parts.push(`WHERE ${q.where.join(' AND ')}`);
  if (q.groupBy?.length) parts.push(`GROUP BY ${q.groupBy.join(', ')}`);
  if (q.orderBy?.length) parts.push(`ORDER BY ${q.orderBy.join(', ')}`);
  if (q.limit != null) parts.push(`LIMIT ${q.limit}`);
  return parts.join(' ');
}

const paramType = (p: ParamIR) => (p.required ? chType[p.column.type] : `Nullable(${chType[p.column.type]})`);

/** `column = {name:Type}`, or always true when an optional parameter is absent. */
function paramFilter(p: ParamIR, column: string): string {
  const placeholder = `{${p.name}:${paramType(p)}}`;
  return p.required ? `${column} = ${placeholder}` : `(${placeholder} IS NULL OR ${column} = ${placeholder})`;
}

const bucketOf = (ir: MetricIR, time: string) => `toDateTime(${grainFunction[ir.rollupGrain]}(${time}, 'UTC'), 'UTC')`;
const alignedRange = (ir: MetricIR, column: string) => [
  `${column} >= ${grainFunction[ir.rollupGrain]}(${RANGE_FROM}, 'UTC')`,
  `${column} < ${grainFunction[ir.rollupGrain]}(${RANGE_TO}, 'UTC')`,
];

/**
 * The whole days inside a range aligned to the rollup grain, `[day0, day1)`:
 * day0 is the first midnight at or after the range's start (empty when it
 * is past day1). The rest of the range is its edges, at most a day's worth
 * of buckets at each end.
 */
const wholeDays = (ir: MetricIR) => {
  const [from, to] = [RANGE_FROM, RANGE_TO].map((t) => `${grainFunction[ir.rollupGrain]}(${t}, 'UTC')`);
  return { from, to, day0: `toStartOfDay(${from} + INTERVAL 86399 SECOND, 'UTC')`, day1: `toStartOfDay(${to}, 'UTC')` };
};

/** `fnMergeState(params)(column)`: a state column's states merged into one state, from its `AggregateFunction(fn(params), …)` type. */
function mergeState(type: string, column: string): string {
  const fn = /^AggregateFunction\((\w+)(\([^)]*\))?/.exec(type);
  if (!fn) throw new Error(`not an aggregate state type: ${type}`);
  return `${fn[1]}MergeState${fn[2] ?? ''}(${column})`;
}

/** Rollup granules of 256 rows, so a read of a range's edge buckets reads about those. */
const DAY_PROJECTION_SETTINGS = "deduplicate_merge_projection_mode = 'rebuild', index_granularity = 256";

/**
 * Finished measures over rows. `finish` gives one measure's finished
 * aggregate; ratios are finished from their siblings' aggregates.
 */
function finishedMeasures(measures: Readonly<Record<string, MeasureNode>>, finish: (name: string, m: MeasureNode) => string, prefix = ''): string[] {
  const value = (name: string): string => {
    const m = measures[name]!;
    return m.kind === 'ratio' ? finishRatio(value(m.numerator), value(m.denominator)) : finish(name, m);
  };
  return Object.entries(measures).map(([name, m]) => `CAST(${value(name)} AS ${measureType(m)}) AS ${quoteIdent(prefix + name)}`);
}

const stateName = (prefix: string, name: string, suffix: string) => `${prefix}${name}_${suffix}`;

/**
 * The metric's SQL for both targets. The MV path and the lake path share
 * every expression; they differ only in where rows come from (rollup states
 * or raw rows) and so in the aggregate form (-Merge or single pass), and in
 * how an attribute is read: the raw MergeTree tables have the maps only,
 * the lake a column per attribute the metrics read (promoted.ts).
 */
export function emitMetricSql(ir: MetricIR, options: EmitOptions): MetricSql {
  const rawTable = `${quoteIdent(options.lakeDatabase)}.${ir.source}`;
  const time = quoteIdent(ir.timeColumn);
  const dims = Object.entries(ir.dimensions);
  const measures = shareQuantiles(ir.measures);
  // The lake side: the same metric with attributes read from their columns.
  const lake = promoteAttributes(ir);
  const lakeMeasures = shareQuantiles(lake.measures);
  const grain = ir.grain !== null;
  const columns: OutputColumn[] = [
    ...(grain ? [{ name: 'time', type: "DateTime('UTC')" }] : []),
    ...dims.map(([name, e]) => ({ name, type: chType[e.type] })),
    ...Object.entries(measures).map(([name, m]) => ({ name, type: measureType(m), ...(m.kind === 'ratio' ? { format: 'ratio' as const } : {}) })),
  ];
  // Ties are broken by every key column, so both paths order rows alike.
  const keys = [...(grain ? ['time'] : []), ...dims.map(([n]) => n)];
  const orderBy = [
    ...ir.orderBy.map((o) => `${quoteIdent(o.column)} ${o.direction.toUpperCase()}`),
    ...keys.filter((k) => !ir.orderBy.some((o) => o.column === k)).map((k) => `${quoteIdent(k)} ASC`),
  ];
  const outerDimsOf = (m: MetricIR) => Object.entries(m.dimensions).map(([name, e]) => `CAST(${compileExpr(e)} AS ${chType[e.type]}) AS ${quoteIdent(name)}`);
  const rowFilters = ir.where.map(compileExpr);
  const lakeFilters = [...alignedRange(ir, time), ...lake.where.map(compileExpr), ...lake.params.map((p) => paramFilter(p, typed(p.column)))];

  // Two-level metrics: the first level yields (bucket?, entity_key, e_*) from
  // raw rows or from states; the second level is the same SQL on both paths.
  const entity = ir.entity && { ...ir.entity, values: shareQuantiles(ir.entity.values) };
  const lakeEntity = lake.entity && { ...lake.entity, values: shareQuantiles(lake.entity.values) };
  let fallbackQuery: string;
  let mvInner: ((target: string) => string) | null = null;
  if (entity && lakeEntity) {
    const innerKeys = [...(grain ? ['bucket'] : []), 'entity_key'];
    const outer = (side: { dims: readonly string[]; measures: Readonly<Record<string, MeasureNode>> }, inner: string) =>
      render({
        select: [...(grain ? ['bucket AS time'] : []), ...side.dims, ...finishedMeasures(side.measures, (_n, m) => sqlFor(m).single(m))],
        from: `(${inner})`,
        groupBy: keys,
        orderBy,
        limit: ir.limit,
      });
    fallbackQuery = outer(
      { dims: outerDimsOf(lake), measures: lakeMeasures },
      render({
        select: [
          ...(grain ? [`${bucketOf(ir, time)} AS bucket`] : []),
          `CAST(${compileExpr(lakeEntity.key)} AS String) AS entity_key`,
          ...finishedMeasures(lakeEntity.values, (_n, m) => sqlFor(m).single(m), 'e_'),
        ],
        from: rawTable,
        where: lakeFilters,
        groupBy: innerKeys,
      }),
    );
    // With a grain and no optional parameter, the rollup's key left after
    // the WHERE is (bucket, entity_key) itself: FINAL merges each entity's
    // states as the sort order brings them together, and no hash table of
    // every entity is built (signup_funnel on the bench store: 46 → 34 ms).
    // An optional parameter left out keeps several rows per entity and bucket.
    const final = grain && ir.params.every((p) => p.required);
    const state = (name: string) => (suffix: string, owner?: string) => stateName('e_', owner ?? name, suffix);
    mvInner = (target) =>
      outer(
        { dims: outerDimsOf(ir), measures },
        render({
          select: [...innerKeys, ...finishedMeasures(entity.values, (n, m) => (final ? sqlFor(m).finalize(m, state(n)) : sqlFor(m).merge(m, state(n))), 'e_')],
          from: final ? `${target} FINAL` : target,
          where: [...alignedRange(ir, 'bucket'), ...ir.params.map((p) => paramFilter(p, `p_${p.name}`))],
          groupBy: final ? [] : innerKeys,
        }),
      );
  } else {
    fallbackQuery = render({
      select: [...(grain ? [`${bucketOf(ir, time)} AS time`] : []), ...outerDimsOf(lake), ...finishedMeasures(lakeMeasures, (_n, m) => sqlFor(m).single(m))],
      from: rawTable,
      where: lakeFilters,
      groupBy: keys,
      orderBy,
      limit: ir.limit,
    });
  }

  const params = [
    { name: 'from', type: "DateTime64(3, 'UTC')", required: true },
    { name: 'to', type: "DateTime64(3, 'UTC')", required: true },
    ...ir.params.map((p) => ({ name: p.name, type: paramType(p), required: p.required })),
  ];
  if (!ir.rollup) {
    return { version: metricVersion(ir, null), target: null, mv: null, targetDDL: null, mvDDL: null, backfill: null, mvQuery: null, fallbackQuery, columns, params };
  }

  // The rollup's key columns, in the order of its sort key. A required
  // parameter is in every read's WHERE as an equality, so it leads: a read
  // for one user is a range of the key, not a scan of every user's rows.
  const paramColumn = (p: ParamIR) => ({ name: `p_${p.name}`, type: chType[p.column.type], expr: typed(p.column) });
  const keyColumns: { name: string; type: string; expr: string }[] = [
    ...ir.params.filter((p) => p.required).map(paramColumn),
    { name: 'bucket', type: "DateTime('UTC')", expr: bucketOf(ir, time) },
    ...(entity ? [] : dims.map(([name, e]) => ({ name: `d_${name}`, type: chType[e.type], expr: typed(e) }))),
    ...ir.params.filter((p) => !p.required).map(paramColumn),
    ...(entity ? [{ name: 'entity_key', type: 'String', expr: `CAST(${compileExpr(entity.key)} AS String)` }] : []),
  ];
  const stateSource = entity ? entity.values : measures;
  const prefix = entity ? 'e_' : 'm_';
  const stateColumns = Object.entries(stateSource).flatMap(([name, m]) =>
    sqlFor(m)
      .states(m)
      .map((s) => ({ name: stateName(prefix, name, s.suffix), type: s.type, expr: s.expr })),
  );
  const allColumns = [...keyColumns, ...stateColumns];
  // A rollup finer than a day that answers over a whole range (no output
  // grain) keeps its states merged per day too, in a projection: a read
  // takes the whole days of its range from there and only the edges' buckets
  // from the rollup, so 30 days merge 30 states a group instead of 720.
  const otherKeys = keyColumns.filter((c) => c.name !== 'bucket').map((c) => c.name);
  const dayKeys = ['toStartOfDay(bucket)', ...otherKeys].join(', ');
  const dayProjection =
    !entity && !grain && ir.rollupGrain !== 'day'
      ? `PROJECTION by_day (SELECT ${dayKeys}, ${stateColumns.map((c) => mergeState(c.type, c.name)).join(', ')} GROUP BY ${dayKeys})`
      : null;
  const version = metricVersion(ir, allColumns, dayProjection ? `${dayProjection} ${DAY_PROJECTION_SETTINGS}` : '');
  const target = `hyb_${ir.name}_${version}`;
  const mv = `${target}_mv`;
  const onCluster = options.cluster ? ` ON CLUSTER ${quoteIdent(options.cluster)}` : '';
  const engine = options.cluster ? 'ReplicatedAggregatingMergeTree' : 'AggregatingMergeTree';
  const targetDDL =
    `CREATE TABLE IF NOT EXISTS ${target}${onCluster} (${[...allColumns.map((c) => `${c.name} ${c.type}`), ...(dayProjection ? [dayProjection] : [])].join(', ')}) ` +
    `ENGINE = ${engine} PARTITION BY toYYYYMM(bucket) ORDER BY (${keyColumns.map((c) => c.name).join(', ')}) ` +
    `TTL bucket + INTERVAL ${ir.retentionDays} DAY SETTINGS ${DEDUPLICATION}${dayProjection ? `, ${DAY_PROJECTION_SETTINGS}` : ''}`;
  const stateSelect = (from: string) =>
    render({
      select: allColumns.map((c) => `${c.expr} AS ${c.name}`),
      from,
      where: rowFilters,
      groupBy: keyColumns.map((c) => c.name),
    });
  const mvDDL = `CREATE MATERIALIZED VIEW IF NOT EXISTS ${mv}${onCluster} TO ${target} AS ${stateSelect(ir.source)}`;
  // What the MV does to an insert, done to rows staged in a copy of the source table.
  const backfill = `INSERT INTO ${target} ${stateSelect(backfillTable(ir.source))}`;
  const paramFilters = ir.params.map((p) => paramFilter(p, `p_${p.name}`));
  let rollupRows = target;
  if (dayProjection) {
    // The whole days from the projection (its expressions, so the engine
    // reads it), the edges from the rollup; both as states to merge.
    const range = wholeDays(ir);
    const days = render({
      select: [...otherKeys, ...stateColumns.map((c) => `${mergeState(c.type, c.name)} AS ${c.name}`)],
      from: target,
      where: [`toStartOfDay(bucket) >= ${range.day0}`, `toStartOfDay(bucket) < ${range.day1}`, ...paramFilters],
      groupBy: otherKeys,
    });
    const edges = render({
      select: [...otherKeys, ...stateColumns.map((c) => c.name)],
      from: target,
      where: [`bucket >= ${range.from}`, `bucket < ${range.to}`, `(bucket < ${range.day0} OR bucket >= ${range.day1})`, ...paramFilters],
    });
    rollupRows = `(${days} UNION ALL ${edges})`;
  }
  const mvQuery = mvInner
    ? mvInner(target)
    : render({
        select: [
          ...(grain ? ['bucket AS time'] : []),
          ...dims.map(([name]) => `d_${name} AS ${quoteIdent(name)}`),
          ...finishedMeasures(measures, (n, m) => sqlFor(m).merge(m, (s, owner) => stateName('m_', owner ?? n, s))),
        ],
        from: rollupRows,
        where: dayProjection ? [] : [...alignedRange(ir, 'bucket'), ...paramFilters],
        groupBy: keys,
        orderBy,
        limit: ir.limit,
      });
  return { version, target, mv, targetDDL, mvDDL, backfill, mvQuery, fallbackQuery, columns, params };
}

export { entityColumn };
