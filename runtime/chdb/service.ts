/**
 * The chDB query service: `POST /query` runs SQL over the lake with its
 * parameters bound server-side; `GET /health`. Stateless: any number of
 * copies can serve the same lake.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { chdbQueryRequestSchema, type ErrorBody } from '../../schemas/query.ts';
import { EngineError, ErrorCode, type LakeEngine } from './engine.ts';

export interface ChdbServiceOptions {
  /** When set, every request but `/health` needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Largest accepted request body; default 1 MiB. */
  readonly maxBodyBytes?: number;
}

const fail = (c: Context, status: ContentfulStatusCode, code: string, message: string, field?: string) =>
  c.json<ErrorBody>({ error: { code, message, ...(field ? { field } : {}) } }, status);

/** The parameter a ClickHouse binding error is about, as `params.<name>`. */
function paramField(message: string): string | undefined {
  const name = /(?:Substitution|query parameter|parameter) [`'"]?([A-Za-z_][A-Za-z0-9_]*)[`'"]?/.exec(message)?.[1];
  return name ? `params.${name}` : undefined;
}

/** chDB's error → an HTTP answer: the client's fault is 4xx, limits have their own statuses. */
function engineFailure(c: Context, e: EngineError) {
  switch (e.code) {
    case ErrorCode.UNKNOWN_QUERY_PARAMETER:
    case ErrorCode.BAD_QUERY_PARAMETER:
      return fail(c, 400, 'BAD_PARAMETER', e.message, paramField(e.message));
    case ErrorCode.MULTIPLE_STATEMENTS:
      return fail(c, 400, 'MULTIPLE_STATEMENTS', e.message, 'sql');
    case ErrorCode.READONLY:
      return fail(c, 403, 'READ_ONLY', 'the chDB service only reads: ' + e.message);
    case ErrorCode.SETTING_CONSTRAINT_VIOLATION:
      return fail(c, 403, 'LIMIT_LOCKED', "the chDB service's limits cannot be raised: " + e.message);
    case ErrorCode.TIMEOUT_EXCEEDED:
      return fail(c, 504, 'TIMEOUT', e.message);
    case ErrorCode.MEMORY_LIMIT_EXCEEDED:
      return fail(c, 503, 'MEMORY_LIMIT', e.message);
    case ErrorCode.TOO_MANY_ROWS_OR_BYTES:
      return fail(c, 413, 'RESULT_TOO_LARGE', e.message);
    case null:
      return fail(c, 500, 'ENGINE', e.message);
    default:
      return fail(c, 400, 'QUERY', e.message);
  }
}

export function chdbService(engine: Pick<LakeEngine, 'query' | 'present'>, options: ChdbServiceOptions = {}): Hono {
  const app = new Hono();

  app.get('/health', (c) => c.json({ status: 'ok', sources: engine.present }));

  app.use('/query', async (c, next) => {
    if (options.token && c.req.header('authorization') !== `Bearer ${options.token}`) {
      return fail(c, 401, 'UNAUTHORIZED', 'missing or wrong bearer token');
    }
    return next();
  });
  app.use(
    '/query',
    bodyLimit({ maxSize: options.maxBodyBytes ?? 2 ** 20, onError: (c) => fail(c, 413, 'TOO_LARGE', `request body over ${options.maxBodyBytes ?? 2 ** 20} bytes`) }),
  );

  app.post('/query', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return fail(c, 400, 'BAD_REQUEST', 'body: not JSON', 'body');
    }
    const parsed = chdbQueryRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length > 0 ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? issue.keys.join(',') : 'body';
      return fail(c, 400, 'BAD_REQUEST', `${field}: ${issue.message}`, field);
    }
    try {
      return c.json(await engine.query(parsed.data.sql, parsed.data.params, parsed.data.format));
    } catch (error) {
      if (error instanceof EngineError) return engineFailure(c, error);
      throw error;
    }
  });

  return app;
}
