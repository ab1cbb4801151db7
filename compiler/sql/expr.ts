import type { ExprNode, Grain, ValueKind } from '../ir.ts';

/** The ClickHouse type every value of a kind is cast to, on both paths. */
export const chType: Record<ValueKind, string> = {
  string: 'String',
  int: 'Int64',
  uint: 'UInt64',
  float: 'Float64',
  datetime: "DateTime64(6, 'UTC')",
  bool: 'Bool',
};

export const grainFunction: Record<Grain, string> = {
  minute: 'toStartOfMinute',
  hour: 'toStartOfHour',
  day: 'toStartOfDay',
};

export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function quoteIdent(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `\`${name.replace(/`/g, '``')}\``;
}

const compareOps = { eq: '=', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' } as const;
const arithOps = { add: '+', sub: '-', mul: '*', div: '/' } as const;

/** How entity values are named where a two-level metric reads them. */
export const entityColumn = (name: string): string => `e_${name}`;

function literal(value: string | number | boolean, type: ValueKind): string {
  if (typeof value === 'string') return type === 'string' ? quoteString(value) : `CAST(${quoteString(value)} AS ${chType[type]})`;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (!Number.isFinite(value)) throw new Error(`literal ${value} is not a finite number`);
  return String(value);
}

/** One expression as ClickHouse SQL; the same text serves the MergeTree and the lake. */
export function compileExpr(e: ExprNode): string {
  switch (e.kind) {
    case 'column':
      return quoteIdent(e.name);
    case 'attr':
      return `${quoteIdent(e.map)}[${quoteString(e.key)}]`;
    case 'literal':
      return literal(e.value, e.type);
    case 'compare':
      return `(${compileExpr(e.left)} ${compareOps[e.op]} ${compileExpr(e.right)})`;
    case 'in':
      return `(${compileExpr(e.expr)} IN (${e.values.map(compileExpr).join(', ')}))`;
    case 'logical':
      return `(${e.args.map(compileExpr).join(e.op === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${compileExpr(e.arg)})`;
    case 'toFloat':
      return e.arg.type === 'string' ? `toFloat64OrZero(${compileExpr(e.arg)})` : `toFloat64(${compileExpr(e.arg)})`;
    case 'arith':
      return `(toFloat64(${compileExpr(e.left)}) ${arithOps[e.op]} toFloat64(${compileExpr(e.right)}))`;
    case 'entity':
      return entityColumn(e.name);
    default: {
      const never: never = e;
      throw new Error(`unhandled expression ${JSON.stringify(never)}`);
    }
  }
}

/** An expression cast to its kind's canonical type, so both paths aggregate the same values. */
export const typed = (e: ExprNode): string => `CAST(${compileExpr(e)} AS ${chType[e.type]})`;
