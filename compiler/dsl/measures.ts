import type { MeasureNode, QuantileAlgorithm, ValueKind } from '../ir.ts';
import type { Expr } from './expr.ts';

/** A measure whose finished value has value kind K (null where `Nullable`). */
export class Measure<K extends ValueKind = ValueKind, Nullable extends boolean = false> {
  declare readonly __nullable: Nullable;
  constructor(
    readonly node: MeasureNode,
    readonly kind: K,
  ) {}
}

type Numeric = 'int' | 'uint' | 'float';

export const count = (): Measure<'uint'> => new Measure({ kind: 'count' }, 'uint');

export const countIf = (cond: Expr<'bool'>): Measure<'uint'> =>
  new Measure({ kind: 'countIf', cond: cond.node }, 'uint');

export const sum = <K extends Numeric>(expr: Expr<K>): Measure<K extends 'float' ? 'float' : 'int'> =>
  new Measure({ kind: 'sum', expr: expr.node }, (expr.kind === 'float' ? 'float' : 'int') as K extends 'float' ? 'float' : 'int');

export const min = <K extends ValueKind>(expr: Expr<K>): Measure<K> => new Measure({ kind: 'min', expr: expr.node }, expr.kind);
export const max = <K extends ValueKind>(expr: Expr<K>): Measure<K> => new Measure({ kind: 'max', expr: expr.node }, expr.kind);

/** Kept as sum and count in the rollup, so merged answers are exact. */
export const avg = (expr: Expr<Numeric>): Measure<'float'> => new Measure({ kind: 'avg', expr: expr.node }, 'float');

/** Approximate distinct count (HyperLogLog family); states merge exactly. */
export const uniq = (expr: Expr): Measure<'uint'> => new Measure({ kind: 'uniq', expr: expr.node }, 'uint');

export const uniqExact = (expr: Expr): Measure<'uint'> => new Measure({ kind: 'uniqExact', expr: expr.node }, 'uint');

/**
 * A quantile. The default `dd` (DDSketch, 1% relative accuracy) merges
 * exactly; `tdigest` and `sampling` do not, so they make a metric raw-only.
 */
export const quantile = (
  expr: Expr<Numeric>,
  level: number,
  options: { algorithm?: QuantileAlgorithm } = {},
): Measure<'float'> =>
  new Measure({ kind: 'quantile', expr: expr.node, level, algorithm: options.algorithm ?? 'dd' }, 'float');

export const argMin = <K extends ValueKind>(expr: Expr<K>, by: Expr): Measure<K> =>
  new Measure({ kind: 'argMin', expr: expr.node, by: by.node }, expr.kind);

export const argMax = <K extends ValueKind>(expr: Expr<K>, by: Expr): Measure<K> =>
  new Measure({ kind: 'argMax', expr: expr.node, by: by.node }, expr.kind);

/** The number of ordered steps an entity reached within the window (entity values only). */
export const funnel = (options: { windowSeconds: number; by: Expr<'datetime'>; steps: readonly Expr<'bool'>[] }): Measure<'uint'> =>
  new Measure({ kind: 'funnel', windowSeconds: options.windowSeconds, by: options.by.node, steps: options.steps.map((s) => s.node) }, 'uint');

/** numerator / denominator, two sibling measures by name; null where the denominator is 0. */
export const ratio = (numerator: string, denominator: string): Measure<'float', true> =>
  new Measure({ kind: 'ratio', numerator, denominator }, 'float') as Measure<'float', true>;
