/**
 * Cloudflare Pipelines stream schemas, one per source: in production a
 * Pipelines stream (sinking into R2 Data Catalog) takes the role of
 * `hyb serve ingest`. Stream fields are typed from the source columns
 * (https://developers.cloudflare.com/pipelines/sql-reference/sql-data-types/):
 * Pipelines has no map type, so attribute maps travel as `json`, and field
 * names cannot hold the dots of the exporter's nested columns
 * (`Events.Timestamp`), which become underscores.
 */
import { sources, type SourceName } from '../../schemas/sources.ts';
import type { PromotedAttribute } from '../sql/promoted.ts';

export interface StreamField {
  readonly name: string;
  readonly type: 'bool' | 'int32' | 'int64' | 'float64' | 'string' | 'timestamp' | 'json' | 'list';
  readonly required: boolean;
  readonly items?: Omit<StreamField, 'name' | 'required'>;
}

/** A ClickHouse column type → a Pipelines field type. */
export function streamType(type: string): Omit<StreamField, 'name' | 'required'> {
  const t = type.replace(/^LowCardinality\((.*)\)$/, '$1');
  const array = /^Array\((.*)\)$/.exec(t);
  if (array) return { type: 'list', items: streamType(array[1]!) };
  if (t.startsWith('Map(')) return { type: 'json' };
  if (t.startsWith('DateTime64')) return { type: 'timestamp' };
  switch (t) {
    case 'String':
      return { type: 'string' };
    case 'Float64':
      return { type: 'float64' };
    case 'Bool':
      return { type: 'bool' };
    case 'UInt8':
    case 'UInt16':
    case 'Int32':
      return { type: 'int32' };
    case 'UInt32':
    case 'UInt64':
    case 'Int64':
      return { type: 'int64' };
    default:
      throw new Error(`no Pipelines type for ClickHouse type ${type}`);
  }
}

/** The field name a column travels under. */
export const streamFieldName = (column: string): string => column.replace(/\./g, '_');

/** The stream's fields: the source's columns, then a string per promoted attribute (the sink's table gets the same columns). */
export function streamSchema(source: SourceName, promoted: readonly PromotedAttribute[] = []): { fields: StreamField[] } {
  const table = sources[source];
  return {
    fields: [
      ...table.columns.map((c) => ({ name: streamFieldName(c.name), ...streamType(c.type), required: c.name === table.timeColumn })),
      ...promoted.map((p) => ({ name: p.column, type: 'string' as const, required: false })),
    ],
  };
}
