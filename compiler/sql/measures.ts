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
  readonly merge: (m: M, state: (suffix: string) => string) => string;
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
  };
}

const typedArg = (e: Parameters<typeof typed>[0]) => ({ sql: typed(e), type: chType[e.type] });
const condArg = (e: Parameters<typeof typed>[0]) => ({ sql: compileExpr(e), type: 'UInt8' });

const quantileFunction = { dd: 'quantileDD(0.01, {level})', timing: 'quantileTiming({level})', exact: 'quantileExact({level})', tdigest: 'quantileTDigest({level})', sampling: 'quantile({level})' } as const;

export const measureSql: Table = {
  count: simple(() => 'count', () => [], () => 'uint'),
  countIf: simple(() => 'countIf', (m) => [condArg(m.cond)], () => 'uint'),
  sum: simple(() => 'sum', (m) => [typedArg(m.expr)], (m) => (m.expr.type === 'float' ? 'float' : 'int')),
  min: simple(() => 'min', (m) => [typedArg(m.expr)], (m) => m.expr.type),
  max: simple(() => 'max', (m) => [typedArg(m.expr)], (m) => m.expr.type),
  uniq: simple(() => 'uniq', (m) => [typedArg(m.expr)], () => 'uint'),
  uniqExact: simple(() => 'uniqExact', (m) => [typedArg(m.expr)], () => 'uint'),
  quantile: simple((m) => quantileFunction[m.algorithm].replace('{level}', String(m.level)), (m) => [{ sql: `toFloat64(${compileExpr(m.expr)})`, type: 'Float64' }], () => 'float'),
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
  },
  // Finished from its siblings; see `finishRatio`.
  ratio: { output: () => 'float', single: () => '', states: () => [], merge: () => '' },
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
