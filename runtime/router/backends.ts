/**
 * What the router talks to: ClickHouse endpoints (through
 * `@clickhouse/client-web`, so the same code runs in workerd and Node) with
 * the health each one last showed, and the chDB service over `fetch`.
 *
 * An endpoint's health is one refresh: a query of `hyb_migrations` (which
 * metric versions are ready) and `hyb_sync_state` (how far each source is
 * synced). It is refreshed lazily — the first request after the interval
 * starts a refresh and is answered on the old state — so no timer is needed
 * in a Worker (whose entry waits for the refresh: see worker/index.ts); a
 * failed MV query marks the endpoint down at once.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client-web';

export interface EndpointConfig {
  /** A region or host label, reported in answers and /health. */
  readonly name: string;
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly database?: string;
  /** Lower is preferred; ties go to the lower measured latency. */
  readonly preference?: number;
}

export interface SyncState {
  /** Epoch ms of the last sync pass without error; null when the last pass failed or none ran. */
  readonly syncedAt: number | null;
  /**
   * What the source's MVs hold: the files and rows synced so far. A pass
   * that loads nothing leaves it as it was, and so leaves every rollup of
   * the source as it was.
   */
  readonly loaded: string;
  readonly lagSeconds: number | null;
  readonly lastError: string;
}

export interface Health {
  readonly healthy: boolean;
  /** Epoch ms of the check; 0 before the first. */
  readonly checkedAt: number;
  readonly latencyMs: number | null;
  readonly error: string | null;
  /** Ready MV targets (`hyb_<metric>_<version>`). */
  readonly ready: ReadonlySet<string>;
  readonly sync: ReadonlyMap<string, SyncState>;
}

/** Compact JSON as both engines print it. */
export interface CompactAnswer {
  readonly meta?: { readonly name: string; readonly type: string }[];
  readonly data: unknown[][];
}

const UNCHECKED: Health = { healthy: false, checkedAt: 0, latencyMs: null, error: 'not checked yet', ready: new Set(), sync: new Map() };

export class ClickHouseEndpoint {
  readonly name: string;
  readonly preference: number;
  #client: ClickHouseClient;
  #health: Health = UNCHECKED;
  #refreshing: Promise<void> | null = null;
  /** Told, after a check, of each source whose synced files changed since the check before (see SyncState.loaded). */
  onLoaded: ((source: string) => void) | null = null;

  constructor(
    config: EndpointConfig,
    private readonly timeouts: { readonly healthMs: number; readonly queryMs: number },
    fetchImpl?: typeof fetch,
  ) {
    this.name = config.name;
    this.preference = config.preference ?? 0;
    this.#client = createClient({
      url: config.url,
      username: config.username ?? 'default',
      password: config.password ?? '',
      database: config.database ?? 'default',
      request_timeout: Math.max(timeouts.healthMs, timeouts.queryMs),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });
  }

  get health(): Health {
    return this.#health;
  }

  /** Checks when the last check is older than `intervalMs`; waits only for a first check. */
  async ensureFresh(now: number, intervalMs: number): Promise<void> {
    if (now - this.#health.checkedAt < intervalMs) return;
    const check = this.check();
    if (this.#health.checkedAt === 0) await check;
  }

  /** A check now, or the one under way. */
  check(): Promise<void> {
    return (this.#refreshing ??= this.refresh().finally(() => (this.#refreshing = null)));
  }

  /** The check under way, if any. */
  get checking(): Promise<void> | null {
    return this.#refreshing;
  }

  /** One health check now. */
  async refresh(): Promise<void> {
    const started = Date.now();
    try {
      const [ready, sync] = await Promise.all([
        this.#stateQuery<[string]>("SELECT object FROM hyb_migrations FINAL WHERE kind = 'target' AND state = 'ready'"),
        this.#stateQuery<[string, string | null, number | null, string, string]>(
          "SELECT source, if(last_error = '', toString(toUnixTimestamp64Milli(synced_at)), NULL), lag_seconds, last_error, concat(toString(files), '/', toString(rows)) FROM hyb_sync_state FINAL",
        ),
      ]);
      const before = this.#health.checkedAt === 0 ? null : this.#health.sync;
      this.#health = {
        healthy: true,
        checkedAt: Date.now(),
        latencyMs: Date.now() - started,
        error: null,
        ready: new Set(ready.map(([object]) => object)),
        sync: new Map(sync.map(([source, at, lagSeconds, lastError, loaded]) => [source, { syncedAt: at === null ? null : Number(at), loaded, lagSeconds, lastError }])),
      };
      if (before) for (const [source, state] of this.#health.sync) if (before.get(source)?.loaded !== state.loaded) this.onLoaded?.(source);
    } catch (error) {
      this.markDown(error);
    }
  }

  /** After a failed query: down until the next check. */
  markDown(error: unknown): void {
    this.#health = { ...this.#health, healthy: false, checkedAt: Date.now(), error: error instanceof Error ? error.message : String(error) };
  }

  async query(sql: string, params: Record<string, unknown>): Promise<CompactAnswer> {
    const result = await this.#client.query({
      query: sql,
      query_params: params,
      format: 'JSONCompact',
      abort_signal: AbortSignal.timeout(this.timeouts.queryMs),
    });
    const body = await result.json<unknown[]>();
    return { meta: body.meta, data: body.data };
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  /** A state table's rows; none when `hyb migrate`/`hyb sync` never ran there. */
  async #stateQuery<Row extends unknown[]>(sql: string): Promise<Row[]> {
    try {
      const result = await this.#client.query({ query: sql, format: 'JSONCompact', abort_signal: AbortSignal.timeout(this.timeouts.healthMs) });
      return (await result.json<Row>()).data;
    } catch (error) {
      const { code, type } = error as { code?: string; type?: string };
      if (code === '60' || type === 'UNKNOWN_TABLE') return [];
      throw error;
    }
  }
}

/** The chDB service's error, with its HTTP status and body, passed on to the caller. */
export class ChdbError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: { code: string; message: string; field?: string } },
  ) {
    super(body.error.message);
  }
}

export class ChdbBackend {
  private readonly url: string;

  constructor(
    url: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
    // called as a plain function: workerd refuses `fetch` called as a method of another object
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {
    this.url = url.replace(/\/$/, '');
  }

  async query(sql: string, params: Record<string, unknown>): Promise<CompactAnswer> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.url}/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: JSON.stringify({ sql, params, format: 'JSONCompact' }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ChdbError(502, { error: { code: 'CHDB_UNREACHABLE', message: `the chDB service did not answer: ${(error as Error).message}` } });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ChdbError(502, { error: { code: 'CHDB_FAILED', message: `the chDB service answered ${response.status}: ${text.slice(0, 200)}` } });
    }
    if (!response.ok) {
      const error = (body as { error?: { code: string; message: string; field?: string } }).error;
      throw new ChdbError(response.status, { error: error ?? { code: 'CHDB_FAILED', message: `the chDB service answered ${response.status}` } });
    }
    return body as CompactAnswer;
  }

  async health(): Promise<{ ok: boolean; sources?: string[]; error?: string }> {
    try {
      const response = await this.fetchImpl(`${this.url}/health`, { signal: AbortSignal.timeout(2_000) });
      const body = (await response.json()) as { sources?: string[] };
      return { ok: response.ok, sources: body.sources };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }
}
