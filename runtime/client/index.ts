/**
 * The typed fetch client the generated bindings call. Works in browsers,
 * Workers and Node (anything with `fetch`).
 */
export type TimeRange = string | { readonly from: string; readonly to: string };

export interface QueryOptions {
  /** `"7d"`-style, or `{from, to}` as ISO timestamps. Default: the router's. */
  readonly timeRange?: TimeRange;
  readonly signal?: AbortSignal;
  /** `auto` (default) lets the router choose; `mv` or `chdb` force a path. */
  readonly via?: 'auto' | 'mv' | 'chdb';
}

export interface QueryMeta {
  readonly elapsedMs: number;
  readonly mvVersion: string | null;
  readonly syncedUntil: string | null;
  readonly staleness: number | null;
  /** Why the fallback was taken; null when the MV answered. */
  readonly reason: string | null;
  /** The ClickHouse endpoint that answered; null for chDB. */
  readonly endpoint: string | null;
  /** True when the router answered from its cache of MV answers. */
  readonly cached: boolean;
}

export interface QueryResult<Row> {
  readonly query: string;
  readonly source: 'clickhouse' | 'chdb';
  readonly rows: Row[];
  readonly meta: QueryMeta;
}

export interface HybClient {
  query<Row>(name: string, params: object, options?: QueryOptions): Promise<QueryResult<Row>>;
}

export class HybClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HybClientError';
  }
}

/**
 * @example
 * const client = createClient({ baseUrl: 'http://127.0.0.1:8787' });
 * const { rows } = await errorsPerHour(client, {}, { timeRange: '7d' });
 */
export function createClient(options: { baseUrl: string; token?: string; fetch?: typeof fetch }): HybClient {
  const doFetch = options.fetch ?? fetch;
  return {
    async query<Row>(name: string, params: object, queryOptions: QueryOptions = {}) {
      const response = await doFetch(`${options.baseUrl.replace(/\/$/, '')}/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
        body: JSON.stringify({ query: name, timeRange: queryOptions.timeRange, params, via: queryOptions.via }),
        signal: queryOptions.signal,
      });
      const body = (await response.json()) as QueryResult<Row> | { error: { code: string; message: string; field?: string } };
      if (!response.ok || 'error' in body) {
        const error = 'error' in body ? body.error : { code: 'HTTP_ERROR', message: response.statusText };
        throw new HybClientError(response.status, error.code, error.message, 'field' in error ? error.field : undefined);
      }
      return body;
    },
  };
}
