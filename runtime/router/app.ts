/**
 * The query router: one Hono app on Web-standard Request/Response, served by
 * Node (`hyb serve router`) and by a Cloudflare Worker (worker/index.ts).
 *
 * `POST /query` names a query of the generated router table. The MV answers
 * when a ClickHouse endpoint is healthy, has the metric's version ready, keeps
 * the range (rollup retention) and is synced recently enough for it;
 * otherwise — or when the MV query fails — the chDB service answers from the
 * lake. Both answers go through one normalizer, so rows look alike.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { ErrorBody } from '../../schemas/query.ts';
import type { QueryMeta } from '../client/index.ts';
import { ChdbBackend, ChdbError, ClickHouseEndpoint, type EndpointConfig } from './backends.ts';
import { AnswerCache, answerKey, InFlight, keepRecent, Limit, questionKey } from './cache.ts';
import { normalizer, type Column, type Normalizer } from './normalize.ts';
import { clickhouseTime, parseTimeRange, TimeRangeError, type TimeRange } from './range.ts';
import { checkAdhocSql, SqlRefused } from './sql-check.ts';

/** One query of `generated/router-table.ts`. */
export interface RouterEntry {
  readonly name: string;
  readonly description: string;
  readonly source: string;
  readonly grain: string | null;
  /** The rollup's bucket: the MV query floors `from` and `to` to it. */
  readonly rollupGrain: string | null;
  readonly version: string;
  readonly target: string | null;
  readonly params: z.ZodType<Record<string, unknown>>;
  readonly paramTypes: Readonly<Record<string, string>>;
  readonly columns: readonly Column[];
  readonly mvQuery: string | null;
  readonly fallbackQuery: string;
  readonly coverage: { readonly rollupRetentionDays: number; readonly rawRetentionDays: number; readonly maxStalenessSeconds: number | null };
}

export interface RouterOptions {
  readonly table: Readonly<Record<string, RouterEntry>>;
  /** ClickHouse endpoints (regions); none: every query goes to chDB. */
  readonly endpoints: readonly EndpointConfig[];
  readonly chdb: { readonly url: string; readonly token?: string };
  readonly healthIntervalSeconds: number;
  /** How far the MV may trail the lake when a metric does not say. */
  readonly maxStalenessSeconds: number;
  /** Bearer tokens. No dashboard tokens: /query and /queries are open. /sql needs an admin token. */
  readonly tokens?: { readonly dashboard?: readonly string[]; readonly admin?: readonly string[] };
  /** Origins allowed to call from a browser; none: no CORS headers. */
  readonly corsOrigins?: readonly string[];
  readonly defaultRange?: string;
  readonly mvTimeoutMs?: number;
  readonly chdbTimeoutMs?: number;
  /** MV answers kept (see cache.ts); 0 turns the cache off. Default 1000. */
  readonly mvCacheEntries?: number;
  /** Tests move the clock; production uses Date.now. */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

const requestSchema = z
  .object({
    query: z.string({ error: 'query: a query name is required' }),
    timeRange: z.unknown().optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    /** `auto` routes; `mv` answers from the MV or fails (409); `chdb` skips the MV. For analysts and benchmarks. */
    via: z.enum(['auto', 'mv', 'chdb']).default('auto'),
  })
  .strict();

const sqlRequestSchema = z
  .object({ sql: z.string({ error: 'sql: a statement is required' }), params: z.record(z.string().regex(/^[A-Za-z_]\w*$/), z.unknown()).default({}) })
  .strict();

const fail = (c: Context, status: ContentfulStatusCode, code: string, message: string, field?: string) =>
  c.json<ErrorBody>({ error: { code, message, ...(field ? { field } : {}) } }, status);

/** The field a zod issue is about, as a dotted path under `prefix`. */
function issueField(issue: z.core.$ZodIssue, prefix: string[] = []): string {
  const path = [...prefix, ...issue.path.map(String)];
  if (issue.code === 'unrecognized_keys') path.push(issue.keys[0]!);
  return path.join('.') || 'body';
}

/** The JSON body checked by `schema`: `{ data }`, or a 400 naming the field. */
async function parseBody<T>(c: Context, schema: z.ZodType<T>): Promise<{ data: T } | Response> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return fail(c, 400, 'BAD_REQUEST', 'body: not JSON', 'body');
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return { data: parsed.data };
  const field = issueField(parsed.error.issues[0]!);
  return fail(c, 400, 'BAD_REQUEST', `${field}: ${parsed.error.issues[0]!.message}`, field);
}

/** Constant-time comparison, so a token cannot be guessed byte by byte from timings. */
function sameToken(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

const utf8 = new TextEncoder();
/** Rows as the JSON an answer carries, encoded once: kept so in the cache, and copied into each answer as they are. */
const rowBytes = (rows: unknown): Uint8Array => utf8.encode(JSON.stringify(rows));

/** `{"query":…,"source":…,"rows":<rows>,"meta":…}` as bytes, the rows put in without being parsed or encoded again. */
function answerBytes(query: string, source: string, rows: Uint8Array, meta: QueryMeta): Uint8Array<ArrayBuffer> {
  const head = utf8.encode(`{"query":${JSON.stringify(query)},"source":${JSON.stringify(source)},"rows":`);
  const tail = utf8.encode(`,"meta":${JSON.stringify(meta)}}`);
  const body = new Uint8Array(head.length + rows.length + tail.length);
  body.set(head);
  body.set(rows, head.length);
  body.set(tail, head.length + rows.length);
  return body;
}

/** A question the MV answered, asked again when a sync loads new files for its source (see `warm`). */
interface Question {
  readonly entry: RouterEntry;
  /** As the request gave it (`"7d"` is read anew when asked again). */
  readonly timeRange: unknown;
  readonly params: Readonly<Record<string, unknown>>;
  readonly endpoint: ClickHouseEndpoint;
}

/** Questions kept for warming: the most recently asked, within WARM_WITHIN_MS. */
const WARM_QUESTIONS = 100;
const WARM_WITHIN_MS = 10 * 60_000;
/** Warming queries a ClickHouse endpoint runs at once, so viewers' queries are not queued behind them. */
const WARM_AT_ONCE = 2;

interface Route {
  readonly endpoint: ClickHouseEndpoint | null;
  readonly reason: string | null;
  readonly syncedAt: number | null;
  /** What the MV holds (SyncState.loaded); its answers are kept while it stays the same. */
  readonly loaded: string | null;
}

export function routerApp(options: RouterOptions) {
  const now = options.now ?? Date.now;
  const intervalMs = options.healthIntervalSeconds * 1000;
  const endpoints = options.endpoints.map(
    (e) => new ClickHouseEndpoint(e, { healthMs: 2_000, queryMs: options.mvTimeoutMs ?? 10_000 }, options.fetch),
  );
  const chdb = new ChdbBackend(options.chdb.url, options.chdb.token, options.chdbTimeoutMs ?? 60_000, options.fetch);
  const cache = new AnswerCache(options.mvCacheEntries ?? 1_000);
  /** Warming fills the cache, so it runs only when there is one. */
  const warms = options.mvCacheEntries !== 0;
  /** By question key: the question and when it was last asked (a Map keeps the order of asking). */
  const asked = new Map<string, { question: Question; at: number }>();
  const warmLimit = new Limit(WARM_AT_ONCE);
  const warming = new Set<Promise<unknown>>();
  const lakeInFlight = new InFlight();
  const normalizers = new Map<string, Normalizer>(Object.values(options.table).map((e) => [e.name, normalizer(e.columns)]));
  const dashboardTokens = options.tokens?.dashboard ?? [];
  const adminTokens = options.tokens?.admin ?? [];

  /** Healthy endpoints first, then by preference, then by measured latency. */
  const ranked = () =>
    [...endpoints].sort(
      (a, b) =>
        Number(b.health.healthy) - Number(a.health.healthy) ||
        a.preference - b.preference ||
        (a.health.latencyMs ?? Infinity) - (b.health.latencyMs ?? Infinity),
    );

  /** Why `endpoint` cannot answer `entry` over `range` with its MV, or null when it can. */
  function refusal(endpoint: ClickHouseEndpoint, entry: RouterEntry, range: TimeRange, at: number): string | null {
    const { health } = endpoint;
    if (!health.healthy) return `ClickHouse unhealthy: ${health.error}`;
    if (!health.ready.has(entry.target!)) return `MV ${entry.target} is not ready`;
    const retentionStart = at - entry.coverage.rollupRetentionDays * 86_400_000;
    if (range.from < retentionStart) return `range starts before the MV's ${entry.coverage.rollupRetentionDays}-day retention`;
    const sync = health.sync.get(entry.source);
    if (!sync) return `${entry.source} was never synced`;
    if (sync.syncedAt === null) return `the last sync of ${entry.source} failed: ${sync.lastError}`;
    const allowance = entry.coverage.maxStalenessSeconds ?? options.maxStalenessSeconds;
    const staleness = (at - sync.syncedAt) / 1000;
    if (range.to > sync.syncedAt && staleness > allowance) return `MV is ${staleness.toFixed(0)} s behind the lake (allowance ${allowance} s)`;
    return null;
  }

  /** The question's range, parameters bound (an optional one left out is NULL), and its key on an endpoint (cache.ts). */
  function prepare(entry: RouterEntry, range: TimeRange, params: Readonly<Record<string, unknown>>) {
    const bound: Record<string, unknown> = { from: clickhouseTime(range.from), to: clickhouseTime(range.to) };
    for (const name of Object.keys(entry.paramTypes)) if (!(name in bound)) bound[name] = params[name] ?? null;
    const { from: _from, to: _to, ...rest } = bound;
    const question = (endpoint: string) => questionKey({ version: entry.version, endpoint, rollupGrain: entry.rollupGrain ?? '', from: range.from, to: range.to, params: rest });
    return { bound, question };
  }

  /** The MV's rows as JSON bytes, from the cache or loaded into it. */
  function mvAnswer(endpoint: ClickHouseEndpoint, entry: RouterEntry, bound: Record<string, unknown>, key: string, load: (run: () => Promise<Uint8Array>) => Promise<Uint8Array> = (run) => run()) {
    const normalize = normalizers.get(entry.name)!;
    return cache.get(key, () => load(async () => rowBytes(normalize((await endpoint.query(entry.mvQuery!, bound)).data))));
  }

  /**
   * A sync loaded new files for `source` on `endpoint`: the questions asked
   * of its MVs lately are asked again now, at most WARM_AT_ONCE at a time,
   * so their next viewers are answered from the cache rather than each
   * dashboard's first viewer after every sync waiting for the MV queries.
   * A viewer asking while one loads shares it.
   */
  function warm(endpoint: ClickHouseEndpoint, source: string): void {
    const at = now();
    for (const [id, { question, at: askedAt }] of asked) {
      if (at - askedAt > WARM_WITHIN_MS) {
        asked.delete(id);
        continue;
      }
      const { entry } = question;
      if (question.endpoint !== endpoint || entry.source !== source) continue;
      let range: TimeRange;
      try {
        range = parseTimeRange(question.timeRange, at);
      } catch {
        continue;
      }
      if (refusal(endpoint, entry, range, at) !== null) continue;
      const { bound, question: asking } = prepare(entry, range, question.params);
      const answer = mvAnswer(endpoint, entry, bound, answerKey(asking(endpoint.name), endpoint.health.sync.get(source)!.loaded), (run) => warmLimit.run(run));
      if (answer.hit) continue;
      // a failed warm is not kept: the next viewer asks anew
      const settled: Promise<unknown> = answer.value.catch(() => undefined).finally(() => warming.delete(settled));
      warming.add(settled);
    }
  }
  if (warms) for (const endpoint of endpoints) endpoint.onLoaded = (source) => warm(endpoint, source);

  async function route(entry: RouterEntry, range: TimeRange): Promise<Route> {
    if (!entry.mvQuery || !entry.target) return { endpoint: null, reason: 'raw-only metric: no MV', syncedAt: null, loaded: null };
    if (endpoints.length === 0) return { endpoint: null, reason: 'no ClickHouse endpoint configured', syncedAt: null, loaded: null };
    const at = now();
    await Promise.all(endpoints.map((e) => e.ensureFresh(at, intervalMs)));
    const reasons: string[] = [];
    for (const endpoint of ranked()) {
      const why = refusal(endpoint, entry, range, at);
      if (why === null) {
        const sync = endpoint.health.sync.get(entry.source)!;
        return { endpoint, reason: null, syncedAt: sync.syncedAt, loaded: sync.loaded };
      }
      reasons.push(endpoints.length > 1 ? `${endpoint.name}: ${why}` : why);
    }
    return { endpoint: null, reason: reasons.join('; '), syncedAt: null, loaded: null };
  }

  const app = new Hono();

  if (options.corsOrigins && options.corsOrigins.length > 0) {
    app.use('*', cors({ origin: [...options.corsOrigins], allowHeaders: ['authorization', 'content-type'], allowMethods: ['GET', 'POST', 'OPTIONS'], maxAge: 600 }));
  }

  app.onError((error, c) => fail(c, 500, 'INTERNAL', error.message));

  /** A matching token's role; without a token, the dashboard role when no dashboard token is configured. */
  const role = (c: Context): 'admin' | 'dashboard' | null => {
    const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (token === undefined) return dashboardTokens.length === 0 ? 'dashboard' : null;
    if (adminTokens.some((t) => sameToken(t, token))) return 'admin';
    if (dashboardTokens.some((t) => sameToken(t, token))) return 'dashboard';
    return null;
  };
  const needs = (wanted: 'admin' | 'dashboard') => async (c: Context, next: () => Promise<void>) => {
    const has = role(c);
    if (has === 'admin' || (wanted === 'dashboard' && has === 'dashboard')) return next();
    if (wanted === 'admin' && adminTokens.length === 0) return fail(c, 403, 'FORBIDDEN', 'POST /sql needs an admin token, and none is configured (router.adminTokens)');
    return fail(c, has ? 403 : 401, has ? 'FORBIDDEN' : 'UNAUTHORIZED', has ? `this needs the ${wanted} role` : 'missing or wrong bearer token');
  };
  const limit = bodyLimit({ maxSize: 64 * 1024, onError: (c) => fail(c, 413, 'TOO_LARGE', 'request body over 64 KiB') });

  app.post('/query', needs('dashboard'), limit, async (c) => {
    const started = performance.now();
    const request = await parseBody(c, requestSchema);
    if (request instanceof Response) return request;
    const entry = Object.hasOwn(options.table, request.data.query) ? options.table[request.data.query]! : undefined;
    if (!entry) return fail(c, 400, 'UNKNOWN_QUERY', `query: no query named '${request.data.query}' (GET /queries lists them)`, 'query');
    const timeRange = request.data.timeRange ?? options.defaultRange ?? '7d';
    let range: TimeRange;
    try {
      range = parseTimeRange(timeRange, now());
    } catch (error) {
      if (!(error instanceof TimeRangeError)) throw error;
      return fail(c, 400, 'BAD_TIME_RANGE', error.message, error.message.split(':')[0]);
    }
    const params = entry.params.safeParse(request.data.params);
    if (!params.success) {
      const issue = params.error.issues[0]!;
      const field = issueField(issue, ['params']);
      return fail(c, 400, 'BAD_PARAMETER', `${field}: ${issue.code === 'unrecognized_keys' ? 'unknown parameter' : issue.message}`, field);
    }
    const { bound, question } = prepare(entry, range, params.data);

    const { via } = request.data;
    const decision: Route = via === 'chdb' ? { endpoint: null, reason: 'requested via chdb', syncedAt: null, loaded: null } : await route(entry, range);
    if (via === 'mv' && !decision.endpoint) return fail(c, 409, 'MV_UNAVAILABLE', `via: the MV cannot answer: ${decision.reason}`, 'via');
    const normalize = normalizers.get(entry.name)!;
    let rows: Uint8Array | null = null; // the rows as JSON bytes, as cached
    let cached = false;
    let reason = decision.reason;
    if (decision.endpoint) {
      const endpoint = decision.endpoint;
      try {
        const id = question(endpoint.name);
        const answer = mvAnswer(endpoint, entry, bound, answerKey(id, decision.loaded!));
        rows = await answer.value;
        cached = answer.hit;
        if (warms) keepRecent(asked, id, { question: { entry, timeRange, params: params.data, endpoint }, at: now() }, WARM_QUESTIONS);
      } catch (error) {
        endpoint.markDown(error);
        reason = `MV query failed on ${endpoint.name}: ${(error as Error).message}`;
        if (via === 'mv') return fail(c, 502, 'MV_FAILED', `via: ${reason}`, 'via');
      }
    }
    const source = rows !== null ? 'clickhouse' : 'chdb';
    if (rows === null) {
      try {
        rows = await lakeInFlight.share(question('chdb'), async () => rowBytes(normalize((await chdb.query(entry.fallbackQuery, bound)).data)));
      } catch (error) {
        if (!(error instanceof ChdbError)) throw error;
        const status = (error.status >= 500 ? 502 : error.status) as ContentfulStatusCode;
        return fail(c, status, error.body.error.code, `chDB fallback failed (${reason}): ${error.message}`, error.body.error.field);
      }
    }
    const syncedAt = source === 'clickhouse' ? decision.syncedAt : null;
    const meta: QueryMeta = {
      elapsedMs: Math.round((performance.now() - started) * 100) / 100,
      mvVersion: source === 'clickhouse' ? entry.version : null,
      syncedUntil: syncedAt === null ? null : new Date(syncedAt).toISOString(),
      staleness: syncedAt === null ? null : Math.max(0, Math.round((now() - syncedAt) / 1000)),
      reason,
      endpoint: source === 'clickhouse' ? decision.endpoint!.name : null,
      cached,
    };
    return c.body(answerBytes(entry.name, source, rows, meta), 200, { 'content-type': 'application/json' });
  });

  app.get('/queries', needs('dashboard'), async (c) => {
    const at = now();
    await Promise.all(endpoints.map((e) => e.ensureFresh(at, intervalMs)));
    return c.json({
      queries: Object.values(options.table).map((entry) => ({
        name: entry.name,
        description: entry.description,
        grain: entry.grain,
        params: Object.entries(entry.paramTypes)
          .filter(([name]) => name !== 'from' && name !== 'to')
          .map(([name, type]) => ({ name, type: type.replace(/^Nullable\((.*)\)$/, '$1'), required: !type.startsWith('Nullable(') })),
        columns: entry.columns,
        mv: entry.target
          ? { version: entry.version, readyOn: endpoints.filter((e) => e.health.healthy && e.health.ready.has(entry.target!)).map((e) => e.name) }
          : null,
      })),
    });
  });

  app.get('/health', async (c) => {
    await Promise.all(endpoints.map((e) => (now() - e.health.checkedAt >= intervalMs ? e.check() : undefined)));
    const chdbHealth = await chdb.health();
    const clickhouse = ranked().map((e) => ({
      name: e.name,
      healthy: e.health.healthy,
      latencyMs: e.health.latencyMs,
      checkedAt: e.health.checkedAt ? new Date(e.health.checkedAt).toISOString() : null,
      error: e.health.error,
      readyMvs: e.health.ready.size,
      sync: Object.fromEntries(
        [...e.health.sync].map(([source, s]) => [source, { syncedUntil: s.syncedAt === null ? null : new Date(s.syncedAt).toISOString(), lagSeconds: s.lagSeconds, lastError: s.lastError || null }]),
      ),
    }));
    const status = chdbHealth.ok ? (clickhouse.some((e) => e.healthy) ? 'ok' : 'degraded') : 'down';
    return c.json({ status, clickhouse, chdb: chdbHealth, mvCache: cache.stats }, status === 'down' ? 503 : 200);
  });

  app.post('/sql', needs('admin'), limit, async (c) => {
    const started = performance.now();
    const request = await parseBody(c, sqlRequestSchema);
    if (request instanceof Response) return request;
    let sql: string;
    try {
      sql = checkAdhocSql(request.data.sql);
    } catch (error) {
      if (error instanceof SqlRefused) return fail(c, 400, 'SQL_REFUSED', error.message, 'sql');
      throw error;
    }
    try {
      const answer = await chdb.query(sql, request.data.params);
      const columns = answer.meta ?? [];
      return c.json({ source: 'chdb', columns, rows: normalizer(columns)(answer.data), meta: { elapsedMs: Math.round((performance.now() - started) * 100) / 100 } });
    } catch (error) {
      if (!(error instanceof ChdbError)) throw error;
      return fail(c, error.status as ContentfulStatusCode, error.body.error.code, error.message, error.body.error.field);
    }
  });

  app.notFound((c) => fail(c, 404, 'NOT_FOUND', `${c.req.method} ${c.req.path}: no such route (POST /query, GET /queries, GET /health, POST /sql)`));

  return Object.assign(app, {
    endpoints,
    /**
     * Settles once what requests started and did not wait for has: health
     * checks, and the warming a check starts. The Worker entry hands it to
     * waitUntil (workerd cancels a request's I/O once it is answered); tests
     * wait on it.
     */
    settled: async () => {
      await Promise.all(endpoints.map((e) => e.checking));
      while (warming.size > 0) await Promise.all(warming);
    },
    close: () => Promise.all(endpoints.map((e) => e.close())),
  });
}

export type RouterApp = ReturnType<typeof routerApp>;
