import type { CompareOp, ExprNode, ValueKind } from '../ir.ts';

/** The JavaScript type a value kind arrives as in a result row. */
export type JsOf<K extends ValueKind> = K extends 'string' | 'datetime'
  ? string
  : K extends 'bool'
    ? boolean
    : number;

type Operand<K extends ValueKind> = Expr<K> | JsOf<K>;

/**
 * An immutable, typed column expression. Every method returns a new Expr.
 *
 * @example logs.attr('exception.type').eq('TypeError')
 */
export class Expr<K extends ValueKind = ValueKind> {
  constructor(readonly node: ExprNode) {}

  get kind(): K {
    return this.node.type as K;
  }

  eq(other: Operand<K>): Expr<'bool'> {
    return this.compare('eq', other);
  }
  ne(other: Operand<K>): Expr<'bool'> {
    return this.compare('ne', other);
  }
  lt(other: Operand<K>): Expr<'bool'> {
    return this.compare('lt', other);
  }
  le(other: Operand<K>): Expr<'bool'> {
    return this.compare('le', other);
  }
  gt(other: Operand<K>): Expr<'bool'> {
    return this.compare('gt', other);
  }
  ge(other: Operand<K>): Expr<'bool'> {
    return this.compare('ge', other);
  }
  in(values: readonly JsOf<K>[]): Expr<'bool'> {
    return new Expr({ kind: 'in', expr: this.node, values: values.map((v) => literalNode(v, this.node.type)), type: 'bool' });
  }
  /** Parses a string attribute as a number (0 where it is not one). */
  toFloat(): Expr<'float'> {
    return new Expr({ kind: 'toFloat', arg: this.node, type: 'float' });
  }
  div(other: Expr | number): Expr<'float'> {
    return new Expr({ kind: 'arith', op: 'div', left: this.node, right: toNode(other, 'float'), type: 'float' });
  }
  mul(other: Expr | number): Expr<'float'> {
    return new Expr({ kind: 'arith', op: 'mul', left: this.node, right: toNode(other, 'float'), type: 'float' });
  }

  private compare(op: CompareOp, other: Operand<K>): Expr<'bool'> {
    return new Expr({ kind: 'compare', op, left: this.node, right: toNode(other, this.node.type), type: 'bool' });
  }
}

function literalNode(value: string | number | boolean, type: ValueKind): ExprNode {
  return { kind: 'literal', value, type };
}

function toNode(value: Expr | string | number | boolean, type: ValueKind): ExprNode {
  return value instanceof Expr ? value.node : literalNode(value, type);
}

export function and(...args: Expr<'bool'>[]): Expr<'bool'> {
  return new Expr({ kind: 'logical', op: 'and', args: args.map((a) => a.node), type: 'bool' });
}

export function or(...args: Expr<'bool'>[]): Expr<'bool'> {
  return new Expr({ kind: 'logical', op: 'or', args: args.map((a) => a.node), type: 'bool' });
}

export function not(arg: Expr<'bool'>): Expr<'bool'> {
  return new Expr({ kind: 'not', arg: arg.node, type: 'bool' });
}
