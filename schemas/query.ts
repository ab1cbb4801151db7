import { z } from 'zod';

/** `POST /query` on the chDB service: SQL with `{name:Type}` placeholders, values bound by ClickHouse. */
export const chdbQueryRequestSchema = z
  .object({
    sql: z.string().min(1, 'sql: a statement is required'),
    params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'params: names are identifiers'), z.unknown()).default({}),
    format: z.enum(['JSON', 'JSONCompact']).default('JSON'),
  })
  .strict();

export type ChdbQueryRequest = z.input<typeof chdbQueryRequestSchema>;

/** The answer: ClickHouse's JSON output plus what the engine read. */
export interface ChdbQueryResponse {
  readonly meta: { name: string; type: string }[];
  readonly data: Record<string, unknown>[] | unknown[][];
  readonly rows: number;
  readonly statistics: { readonly rowsRead: number; readonly bytesRead: number; readonly elapsedMs: number };
}

/** Every error answer of the services: a code, a message, and the field at fault when there is one. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}
