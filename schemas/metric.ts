import { z } from 'zod';

/**
 * The structural contract of a metric definition, checked before anything
 * reads it: a plain-JavaScript metric file or a cast gets the same error a
 * TypeScript one would, with the path of the offending field.
 */
const identifier = z
  .string()
  .regex(/^[a-z][a-zA-Z0-9_]*$/, 'must start with a lower-case letter and hold only letters, digits and _');

const exprLike = z.custom<{ node: unknown }>((v) => typeof v === 'object' && v !== null && 'node' in v, {
  message: 'must be a column expression such as logs.attr("url.path")',
});
const measureLike = z.custom<{ node: unknown }>(
  (v) => typeof v === 'object' && v !== null && 'node' in v && 'kind' in v && !(v as { node: { kind?: string } }).node?.kind?.match(/^(column|attr|literal)$/),
  { message: 'must be a measure such as count() or quantile(x, 0.99)' },
);

export const metricDefinitionSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case: a-z, 0-9 and _').max(48).optional(),
  description: z.string().optional(),
  source: z.custom<{ source: string }>((v) => typeof v === 'object' && v !== null && 'source' in v, {
    message: 'must be a source handle: logs, spans or gauges',
  }),
  grain: z.enum(['minute', 'hour', 'day']).optional(),
  rollupGrain: z.enum(['minute', 'hour', 'day']).optional(),
  where: z.array(exprLike).optional(),
  entity: z.object({ key: exprLike, values: z.record(identifier, measureLike) }).passthrough().optional(),
  dimensions: z.record(identifier, exprLike).optional(),
  measures: z.record(identifier, measureLike).refine((m) => Object.keys(m).length > 0, 'declare at least one measure'),
  params: z.record(identifier, z.object({ column: exprLike, required: z.boolean() })).optional(),
  orderBy: z.array(z.tuple([z.string(), z.enum(['asc', 'desc'])])).optional(),
  limit: z.number().int().positive().max(100_000).optional(),
  rollup: z.boolean().optional(),
  retentionDays: z.number().int().min(90, 'rollup retention is 90 to 365 days').max(365, 'rollup retention is 90 to 365 days').optional(),
  maxStalenessSeconds: z.number().positive().optional(),
});
