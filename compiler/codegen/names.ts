export const camelCase = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
export const pascalCase = (snake: string): string => {
  const camel = camelCase(snake);
  return camel.charAt(0).toUpperCase() + camel.slice(1);
};

/** The JavaScript type a ClickHouse output type arrives as, after the router normalizes rows. */
export function jsType(chType: string): string {
  const nullable = /^Nullable\((.*)\)$/.exec(chType);
  if (nullable) return `${jsType(nullable[1]!)} | null`;
  if (chType === 'String' || chType.startsWith('DateTime')) return 'string';
  if (chType === 'Bool') return 'boolean';
  if (/^(U?Int|Float)\d+$/.test(chType)) return 'number';
  throw new Error(`no JavaScript type for ${chType}`);
}

/** The zod schema source for a parameter of a ClickHouse type. */
export function zodFor(chType: string, required: boolean): string {
  const base = chType.replace(/^Nullable\((.*)\)$/, '$1');
  let schema: string;
  if (base === 'String') schema = 'z.string().max(4096)';
  else if (/^U?Int\d+$/.test(base)) schema = base.startsWith('U') ? 'z.number().int().nonnegative()' : 'z.number().int()';
  else if (/^Float\d+$/.test(base)) schema = 'z.number().finite()';
  else if (base === 'Bool') schema = 'z.boolean()';
  else if (base.startsWith('DateTime')) schema = 'z.string().datetime({ offset: true })';
  else throw new Error(`no zod schema for ${chType}`);
  return required ? schema : `${schema}.optional()`;
}

/** Sorted by code unit, never by locale: generated output is byte-stable. */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
