/**
 * The intermediate form: plain readonly data with a `kind` on every node, so
 * it hashes by its JSON and every dispatch over kinds is checked exhaustive.
 */
import type { SourceName } from '../schemas/sources.ts';

/** Value kinds an expression can have; each maps to one ClickHouse output type. */
export type ValueKind = 'string' | 'int' | 'uint' | 'float' | 'datetime' | 'bool';

export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export type ExprNode =
  | { readonly kind: 'column'; readonly name: string; readonly type: ValueKind }
  | { readonly kind: 'attr'; readonly map: string; readonly key: string; readonly type: 'string' }
  | { readonly kind: 'literal'; readonly value: string | number | boolean; readonly type: ValueKind }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly left: ExprNode; readonly right: ExprNode; readonly type: 'bool' }
  | { readonly kind: 'in'; readonly expr: ExprNode; readonly values: readonly ExprNode[]; readonly type: 'bool' }
  | { readonly kind: 'logical'; readonly op: 'and' | 'or'; readonly args: readonly ExprNode[]; readonly type: 'bool' }
  | { readonly kind: 'not'; readonly arg: ExprNode; readonly type: 'bool' }
  | { readonly kind: 'toFloat'; readonly arg: ExprNode; readonly type: 'float' }
  | { readonly kind: 'arith'; readonly op: 'add' | 'sub' | 'mul' | 'div'; readonly left: ExprNode; readonly right: ExprNode; readonly type: 'float' }
  /** A value computed per entity in a two-level metric, by name. */
  | { readonly kind: 'entity'; readonly name: string; readonly type: ValueKind };

export type ExprKind = ExprNode['kind'];

export type QuantileAlgorithm = 'dd' | 'timing' | 'exact' | 'tdigest' | 'sampling';

export type MeasureNode =
  | { readonly kind: 'count' }
  | { readonly kind: 'countIf'; readonly cond: ExprNode }
  | { readonly kind: 'sum'; readonly expr: ExprNode }
  | { readonly kind: 'min'; readonly expr: ExprNode }
  | { readonly kind: 'max'; readonly expr: ExprNode }
  | { readonly kind: 'avg'; readonly expr: ExprNode }
  | { readonly kind: 'uniq'; readonly expr: ExprNode }
  | { readonly kind: 'uniqExact'; readonly expr: ExprNode }
  | { readonly kind: 'quantile'; readonly expr: ExprNode; readonly level: number; readonly algorithm: QuantileAlgorithm }
  | { readonly kind: 'argMin'; readonly expr: ExprNode; readonly by: ExprNode }
  | { readonly kind: 'argMax'; readonly expr: ExprNode; readonly by: ExprNode }
  /** Ordered steps within a window (seconds): the number of steps reached. */
  | { readonly kind: 'funnel'; readonly windowSeconds: number; readonly by: ExprNode; readonly steps: readonly ExprNode[] }
  /** A ratio of two sibling measures, by name. */
  | { readonly kind: 'ratio'; readonly numerator: string; readonly denominator: string };

export type MeasureKind = MeasureNode['kind'];

export type Grain = 'minute' | 'hour' | 'day';

export interface ParamIR {
  readonly name: string;
  /** Rows where `column = value` when the parameter is given. */
  readonly column: ExprNode;
  readonly required: boolean;
}

/** The first level of a two-level metric: one row per entity (session, user, …). */
export interface EntityLevelIR {
  readonly key: ExprNode;
  readonly values: Readonly<Record<string, MeasureNode>>;
}

export interface OrderIR {
  readonly column: string;
  readonly direction: 'asc' | 'desc';
}

export interface MetricIR {
  readonly name: string;
  readonly description: string;
  readonly source: SourceName;
  readonly timeColumn: string;
  /** Output time grain: a `time` column per bucket. Null: one answer over the range. */
  readonly grain: Grain | null;
  /** The bucket the rollup stores; time ranges align to it. */
  readonly rollupGrain: Grain;
  readonly where: readonly ExprNode[];
  readonly dimensions: Readonly<Record<string, ExprNode>>;
  readonly measures: Readonly<Record<string, MeasureNode>>;
  readonly entity: EntityLevelIR | null;
  readonly params: readonly ParamIR[];
  readonly orderBy: readonly OrderIR[];
  readonly limit: number | null;
  /** False: the metric is answered from the lake only (no MV). */
  readonly rollup: boolean;
  readonly retentionDays: number;
  /** Seconds the MV may trail the lake; null: the router's default. Not part of the version: it changes no SQL. */
  readonly maxStalenessSeconds: number | null;
}

/** Where the user declared a metric: for diagnostics. */
export interface MetricOrigin {
  readonly file: string;
  readonly exportName: string;
}
