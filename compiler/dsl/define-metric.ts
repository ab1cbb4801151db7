import type { Grain, QuantileAlgorithm, ValueKind } from '../ir.ts';
import { Expr, type JsOf } from './expr.ts';
import type { Measure } from './measures.ts';
import type { SourceHandle } from './sources.ts';

export const metricBrand: unique symbol = Symbol.for('hyb.metric');
export const configBrand: unique symbol = Symbol.for('hyb.config');

/** A parameter: rows where `column = value` when given. */
export interface Param<K extends ValueKind = ValueKind, Required extends boolean = boolean> {
  readonly column: Expr<K>;
  readonly required: Required;
}

export function param<K extends ValueKind, const R extends boolean = false>(
  column: Expr<K>,
  options: { required?: R } = {},
): Param<K, R> {
  return { column, required: (options.required ?? false) as R };
}

/**
 * The first level of a two-level metric: one row per entity (session,
 * user), whose values the metric's dimensions and measures then read.
 */
export interface Entity<V extends Record<string, Measure>> {
  readonly key: Expr;
  readonly values: V;
  readonly ref: { readonly [N in keyof V]: Expr<V[N]['kind']> };
}

export function entity<const V extends Record<string, Measure>>(key: Expr, values: V): Entity<V> {
  const ref = Object.fromEntries(
    Object.entries(values).map(([name, m]) => [name, new Expr({ kind: 'entity', name, type: m.kind })]),
  ) as Entity<V>['ref'];
  return { key, values, ref };
}

export interface MetricDefinition {
  /** snake_case query name; defaults to the export name in snake_case. */
  readonly name?: string;
  readonly description?: string;
  // The handle's column map varies per source; the checker validates names.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly source: SourceHandle<any, any>;
  readonly grain?: Grain;
  readonly rollupGrain?: Grain;
  readonly where?: readonly Expr<'bool'>[];
  readonly entity?: Entity<Record<string, Measure>>;
  readonly dimensions?: Readonly<Record<string, Expr>>;
  readonly measures: Readonly<Record<string, Measure<ValueKind, boolean>>>;
  readonly params?: Readonly<Record<string, Param>>;
  readonly orderBy?: readonly (readonly [string, 'asc' | 'desc'])[];
  readonly limit?: number;
  /** false: answered from the lake only, no MV (for non-mergeable measures). */
  readonly rollup?: boolean;
  /** Rollup retention in days (90–365). */
  readonly retentionDays?: number;
  /** How far (seconds) the MV may trail the lake before the router answers from chDB instead; default: the router's `maxStalenessSeconds`. */
  readonly maxStalenessSeconds?: number;
}

export interface Metric<T extends MetricDefinition = MetricDefinition> {
  readonly [metricBrand]: true;
  readonly definition: T;
}

/**
 * Declares a dashboard query. Export it from a file under `metrics/`.
 *
 * @example
 * export const errorsPerHour = defineMetric({
 *   source: logs,
 *   grain: 'hour',
 *   where: [logs.col('SeverityText').eq('ERROR')],
 *   dimensions: { exceptionType: logs.attr('exception.type') },
 *   measures: { errors: count() },
 * });
 */
export function defineMetric<const T extends MetricDefinition>(definition: T): Metric<T> {
  return { [metricBrand]: true, definition };
}

export function isMetric(value: unknown): value is Metric {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[metricBrand] === true;
}

type MeasureJs<M> = M extends Measure<infer K, infer N> ? (N extends true ? JsOf<K> | null : JsOf<K>) : never;

type Simplify<T> = { -readonly [K in keyof T]: T[K] } & {};

/** The row type a metric answers with. */
export type InferRow<M> = M extends Metric<infer T>
  ? Simplify<
      (T['grain'] extends Grain ? { time: string } : unknown) &
        (T['dimensions'] extends Record<string, Expr>
          ? { -readonly [D in keyof T['dimensions']]: T['dimensions'][D] extends Expr<infer K> ? JsOf<K> : never }
          : unknown) & { -readonly [N in keyof T['measures']]: MeasureJs<T['measures'][N]> }
    >
  : never;

type ParamJs<P> = P extends Param<infer K> ? JsOf<K> : never;

/** The parameters a metric takes (required ones without `?`). */
export type InferParams<M> = M extends Metric<infer T>
  ? T['params'] extends Record<string, Param>
    ? Simplify<
        { -readonly [P in keyof T['params'] as T['params'][P]['required'] extends true ? P : never]: ParamJs<T['params'][P]> } & {
          -readonly [P in keyof T['params'] as T['params'][P]['required'] extends true ? never : P]?: ParamJs<T['params'][P]>;
        }
      >
    : Record<string, never>
  : never;

export type { QuantileAlgorithm };
