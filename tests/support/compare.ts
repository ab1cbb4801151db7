import { expect } from 'vitest';
import type { CompiledMetric } from '../../compiler/codegen/typescript.ts';
import type { JsonResult } from './lake.ts';

/** A metric's float columns: sums whose last bits depend on the order threads add them in. */
export const floatColumns = (m: CompiledMetric): ReadonlySet<string> => new Set(m.sql.columns.filter((c) => c.type.includes('Float')).map((c) => c.name));

/** Same columns, types and rows; exact but for floats, which agree within 1e-9 relative. */
export function expectSameRows(mv: JsonResult, fallback: JsonResult, floatColumns: ReadonlySet<string>): void {
  expect(mv.meta).toEqual(fallback.meta);
  expectSameObjects(mv.data, fallback.data, floatColumns);
}

/** Row objects alike, in order: exact but for floats, which agree within 1e-9 relative. */
export function expectSameObjects(rows: readonly Record<string, unknown>[], expected: readonly Record<string, unknown>[], floatColumns: ReadonlySet<string>): void {
  expect(rows.length).toBe(expected.length);
  rows.forEach((row, i) => {
    const other = expected[i]!;
    expect(Object.keys(row)).toEqual(Object.keys(other));
    for (const [key, value] of Object.entries(row)) {
      if (floatColumns.has(key) && typeof value === 'number' && typeof other[key] === 'number') {
        const b = other[key] as number;
        expect(Math.abs(value - b), `${key} row ${i}: ${value} vs ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
      } else {
        expect(value, `${key} row ${i}`).toEqual(other[key]);
      }
    }
  });
}
