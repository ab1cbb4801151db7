import type { MeasureNode, ValueKind } from '../ir.ts';
import { chType, compileExpr, typed } from './expr.ts';

/** A rollup column holding one aggregate state. */
export interface StateColumn {
  readonly suffix: string;
  readonly type: string;
  readonly expr: string;
}

/**
 * How each measure is computed in one pass (lake), stored as states (MV) and
 * finished from them (MV read). Both paths use the same aggregate function
 * on the same cast arguments, which is why their answers agree.
 */
interface MeasureSql<M extends MeasureNode> {
  readonly output: (m: M) => ValueKind;
  readonly single: (m: M) => string;
  readonly states: (m: M) => StateColumn[];
  /** `state(suffix, owner)`: a state column of this measure, or of the measure `owner` when it holds the state. */
  readonly merge: (m: M, state: (suffix: string, owner?: string) => string) => string;
  /** The same from a row whose states are already merged (read with FINAL), without aggregating. */
  readonly finalize: (m: M, state: (suffix: string, owner?: string) => string) => string;
}

type Table = { [K in MeasureNode['kind']]: MeasureSql<Extract<MeasureNode, { kind: K }>> };

/** One aggregate function `fn(args)` with its state and merge forms. */
function simple<M extends MeasureNode>(
  fn: (m: M) => string,
  args: (m: M) => { sql: string; type: string }[],
  output: (m: M) => ValueKind,
): MeasureSql<M> {
  const call = (m: M, combinator: string, argList: string) => `${fn(m).replace(/^(\w+)/, `$1${combinator}`)}(${argList})`;
  const argTypes = (m: M) => args(m).map((a) => a.type);
  return {
    output,
    single: (m) => call(m, '', args(m).map((a) => a.sql).join(', ')),
    states: (m) => [
      { suffix: 'state', type: `AggregateFunction(${[fn(m), ...argTypes(m)].join(', ')})`, expr: call(m, 'State', args(m).map((a) => a.sql).join(', ')) },
    ],
    merge: (m, state) => call(m, 'Merge', state('state')),
    finalize: (_m, state) => `finalizeAggregation(${state('state')})`,
  };
}

const typedArg = (e: Parameters<typeof typed>[0]) => ({ sql: typed(e), type: chType[e.type] });
const condArg = (e: Parameters<typeof typed>[0]) => ({ sql: compileExpr(e), type: 'UInt8' });

type QuantileNode = Extract<MeasureNode, { kind: 'quantile' }>;

/**
 * A quantile measure as the SQL emitters see it: when several quantiles of a
 * metric take the same expression with the same algorithm (p50 and p99 of a
 * latency), `shared` lists all their levels and names the measure whose
 * state holds them. Every algorithm's state is the same whatever the level,
 * so one `quantilesDD(0.01, 0.5, 0.99)` state serves both: half the rollup
 * columns and half the sketches to build or merge per row.
 */
export type EmittedQuantile = QuantileNode & { readonly shared?: { readonly levels: readonly number[]; readonly owner: string; readonly owns: boolean } };

const quantileFunction = { dd: 'quantileDD(0.01, {level})', timing: 'quantileTiming({level})', exact: 'quantileExact({level})', tdigest: 'quantileTDigest({level})', sampling: 'quantile({level})' } as const;

/** Marks the quantile measures that can share one state (see EmittedQuantile); other measures pass unchanged. */
export function shareQuantiles(measures: Readonly<Record<string, MeasureNode>>): Record<string, MeasureNode> {
  const groups = new Map<string, { levels: number[]; owner: string }>();
  const keyOf = (m: QuantileNode) => `${m.algorithm}|${compileExpr(m.expr)}`;
  for (const [name, m] of Object.entries(measures)) {
    if (m.kind !== 'quantile') continue;
    const group = groups.get(keyOf(m)) ?? { levels: [], owner: name };
    if (!group.levels.includes(m.level)) group.levels.push(m.level);
    groups.set(keyOf(m), group);
  }
  return Object.fromEntries(
    Object.entries(measures).map(([name, m]) => {
      const group = m.kind === 'quantile' ? groups.get(keyOf(m))! : undefined;
      return [name, group && group.levels.length > 1 ? { ...m, shared: { ...group, owns: group.owner === name } } : m];
    }),
  );
}

/** One quantile, or — for a shared state — all of its group's levels (`quantilesDD(0.01, 0.5, 0.99)`) and the index of this one. */
function quantileSql(): MeasureSql<EmittedQuantile> {
  const one = simple<QuantileNode>((m) => quantileFunction[m.algorithm].replace('{level}', String(m.level)), (m) => [{ sql: `toFloat64(${compileExpr(m.expr)})`, type: 'Float64' }], () => 'float');
  // quantileDD(0.01, {level}) → quantilesDD(0.01, 0.5, 0.99)
  const many = (m: EmittedQuantile, combinator: string) =>
    quantileFunction[m.algorithm].replace(/^quantile(\w*)/, `quantiles$1${combinator}`).replace('{level}', m.shared!.levels.join(', '));
  const index = (m: EmittedQuantile) => m.shared!.levels.indexOf(m.level) + 1;
  const arg = (m: EmittedQuantile) => `toFloat64(${compileExpr(m.expr)})`;
  return {
    output: () => 'float',
    single: (m) => (m.shared ? `${many(m, '')}(${arg(m)})[${index(m)}]` : one.single(m)),
    states: (m) => {
      if (!m.shared) return one.states(m);
      return m.shared.owns ? [{ suffix: 'state', type: `AggregateFunction(${many(m, '')}, Float64)`, expr: `${many(m, 'State')}(${arg(m)})` }] : [];
    },
    merge: (m, state) => (m.shared ? `${many(m, 'Merge')}(${state('state', m.shared.owner)})[${index(m)}]` : one.merge(m, state)),
    finalize: (m, state) => (m.shared ? `finalizeAggregation(${state('state', m.shared.owner)})[${index(m)}]` : one.finalize(m, state)),
  };
}

export const measureSql: Table = {
  count: simple(() => 'count', () => [], () => 'uint'),
  countIf: simple(() => 'countIf', (m) => [condArg(m.cond)], () => 'uint'),
  sum: simple(() => 'sum', (m) => [typedArg(m.expr)], (m) => (m.expr.type === 'float' ? 'float' : 'int')),
  min: simple(() => 'min', (m) => [typedArg(m.expr)], (m) => m.expr.type),
  max: simple(() => 'max', (m) => [typedArg(m.expr)], (m) => m.expr.type),
  uniq: simple(() => 'uniq', (m) => [typedArg(m.expr)], () => 'uint'),
  uniqExact: simple(() => 'uniqExact', (m) => [typedArg(m.expr)], () => 'uint'),
  quantile: quantileSql(),
  argMin: simple(() => 'argMin', (m) => [typedArg(m.expr), typedArg(m.by)], (m) => m.expr.type),
  argMax: simple(() => 'argMax', (m) => [typedArg(m.expr), typedArg(m.by)], (m) => m.expr.type),
  funnel: simple(
    (m) => `windowFunnel(${m.windowSeconds * 1000})`,
    // Milliseconds: both timestamp precisions (ns in MergeTree, µs in the lake) agree on them.
    (m) => [{ sql: `toUInt64(toUnixTimestamp64Milli(${typed(m.by)}))`, type: 'UInt64' }, ...m.steps.map(condArg)],
    () => 'uint',
  ),
  // Kept as sum and count, never as a finished average.
  avg: {
    output: () => 'float',
    single: (m) => `sum(${typed(m.expr)}) / count()`,
    states: (m) => [
      { suffix: 'sum', type: `AggregateFunction(sum, ${chType[m.expr.type]})`, expr: `sumState(${typed(m.expr)})` },
      { suffix: 'count', type: 'AggregateFunction(count)', expr: 'countState()' },
    ],
    merge: (_m, state) => `sumMerge(${state('sum')}) / countMerge(${state('count')})`,
    finalize: (_m, state) => `finalizeAggregation(${state('sum')}) / finalizeAggregation(${state('count')})`,
  },
  // Finished from its siblings; see `finishRatio`.
  ratio: { output: () => 'float', single: () => '', states: () => [], merge: () => '', finalize: () => '' },
};

export function sqlFor<M extends MeasureNode>(m: M): MeasureSql<M> {
  return measureSql[m.kind] as unknown as MeasureSql<M>;
}

export const finishRatio = (numerator: string, denominator: string): string =>
  `if(${denominator} = 0, NULL, toFloat64(${numerator}) / toFloat64(${denominator}))`;

/** The output type of a measure, as both paths cast it. */
export function measureType(m: MeasureNode): string {
  return m.kind === 'ratio' ? 'Nullable(Float64)' : chType[sqlFor(m).output(m)];
}
