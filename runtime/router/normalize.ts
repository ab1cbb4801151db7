/**
 * One row shape whichever engine answered: both paths ask for JSONCompact and
 * go through the same converters, chosen once per query from its declared
 * column types. 64-bit integers become numbers (ClickHouse quotes them,
 * chDB may not), DateTimes become ISO 8601 UTC (`2026-11-24T10:00:00Z`).
 * The generated row types (`generated/client.ts`) say the same.
 */
export interface Column {
  readonly name: string;
  readonly type: string;
}

type Convert = (value: unknown) => unknown;

const same: Convert = (v) => v;
const toNumber: Convert = (v) => (typeof v === 'string' ? Number(v) : v);
const toIso: Convert = (v) => (typeof v === 'string' ? `${v.replace(' ', 'T')}Z` : v);
const toBool: Convert = (v) => (v === 1 || v === true || v === 'true' ? true : v === 0 || v === false || v === 'false' ? false : v);

function converter(type: string): Convert {
  const base = type.replace(/^Nullable\((.*)\)$/, '$1');
  if (/^(U?Int|Float)\d+$/.test(base)) return toNumber;
  if (base.startsWith('DateTime')) return toIso;
  if (base === 'Bool') return toBool;
  return same;
}

export type Normalizer = (data: readonly (readonly unknown[])[]) => Record<string, unknown>[];

/** Turns JSONCompact `data` into row objects keyed by `columns`' names. */
export function normalizer(columns: readonly Column[]): Normalizer {
  const converters = columns.map((c) => ({ name: c.name, convert: converter(c.type) }));
  return (data) =>
    data.map((values) => {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < converters.length; i++) {
        const value = values[i];
        row[converters[i]!.name] = value === null ? null : converters[i]!.convert(value);
      }
      return row;
    });
}
