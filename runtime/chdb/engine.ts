/**
 * The lake as chDB sees it: a session with one view per source in the `lake`
 * database (what the fallback queries read), read-only, with limits. No state
 * of its own: the session's folder is temporary and the lake is only read.
 *
 * chDB allows one session per process, and a read-only session cannot create
 * views; when a source's table appears after start (the first ingest commit),
 * or `hyb compile` promoted other attributes (runtime/lake/attributes.ts),
 * the session is replaced by a fresh one that sees it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainPending, Session } from 'chdb';
import { LAKE_DATABASE } from '../../compiler/compile.ts';
import type { HybConfig } from '../../schemas/config.ts';
import type { ChdbQueryResponse } from '../../schemas/query.ts';
import { sourceNames, type SourceName } from '../../schemas/sources.ts';
import { createLakeView, readPromoted } from '../lake/attributes.ts';
import { enterLocalLake, lakeReadFunction, localLakePath, localTableExists } from '../lake/location.ts';
import { outsideReach, singleStatement } from './statement.ts';

export interface Limits {
  /** Per query, seconds. */
  readonly maxExecutionSeconds: number;
  readonly maxMemoryBytes: number;
  readonly maxResultRows: number;
  readonly maxResultBytes: number;
}

export const defaultLimits: Limits = { maxExecutionSeconds: 30, maxMemoryBytes: 4 * 2 ** 30, maxResultRows: 1_000_000, maxResultBytes: 256 * 2 ** 20 };

export type Answer = ChdbQueryResponse;

/** A chDB error, with ClickHouse's numeric code. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
  ) {
    super(message);
  }
}

/** ClickHouse error codes the service maps to statuses. */
export const ErrorCode = {
  UNKNOWN_IDENTIFIER: 47,
  UNKNOWN_TABLE: 60,
  TIMEOUT_EXCEEDED: 159,
  READONLY: 164,
  SETTING_CONSTRAINT_VIOLATION: 452,
  /** Ours, not ClickHouse's: a second statement after `;`. */
  MULTIPLE_STATEMENTS: -1,
  MEMORY_LIMIT_EXCEEDED: 241,
  TOO_MANY_ROWS_OR_BYTES: 396,
  UNKNOWN_QUERY_PARAMETER: 456,
  BAD_QUERY_PARAMETER: 457,
} as const;

function engineError(error: unknown): EngineError {
  const message = error instanceof Error ? error.message : String(error);
  const code = /Code: (\d+)/.exec(message);
  return new EngineError(message.replace(/\s*\(version [^)]*\)\s*$/, '').trim(), code ? Number(code[1]) : null);
}

export class LakeEngine {
  #session: Session;
  #present: SourceName[];
  #inFlight = 0;
  #idle: (() => void)[] = [];
  #swapping: Promise<void> | null = null;
  #lastRefresh = 0;
  /** The promoted attributes the views were made with, as JSON. */
  #promoted = '';

  private constructor(
    private readonly root: string,
    private readonly config: HybConfig,
    private readonly limits: Limits,
  ) {
    enterLocalLake(root, config.lake);
    [this.#session, this.#present] = this.#open();
  }

  static open(root: string, config: HybConfig, limits: Partial<Limits> = {}): LakeEngine {
    return new LakeEngine(root, config, { ...defaultLimits, ...limits });
  }

  /** Sources whose lake table existed when the session opened. */
  get present(): readonly SourceName[] {
    return this.#present;
  }

  #open(): [Session, SourceName[]] {
    // A temporary folder, removed on close; the limits as a locked profile,
    // read at start (its folder is removed as soon as the session is open).
    const configDir = this.#limitsConfig();
    let session: Session;
    try {
      session = new Session(undefined, { connectionArgs: [`--config-file=${join(configDir, 'config.xml')}`] });
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
    session.query(`CREATE DATABASE IF NOT EXISTS ${LAKE_DATABASE}`);
    const present: SourceName[] = [];
    const promoted = readPromoted(this.root);
    this.#promoted = JSON.stringify(promoted);
    for (const source of sourceNames) {
      if (this.config.lake.kind === 'local' && !localTableExists(localLakePath(this.root, this.config.lake), source)) continue;
      try {
        createLakeView(session, source, LAKE_DATABASE, lakeReadFunction(this.root, this.config.lake, source), promoted);
        present.push(source);
      } catch {
        // not written yet: no view, and a query naming it gets UNKNOWN_TABLE
      }
    }
    // 2, not 1: binding a parameter sets a `param_` setting. The profile's
    // constraints keep the limits from being raised.
    session.query('SET readonly = 2');
    return [session, present];
  }

  /**
   * A config file whose default profile holds the limits, each constrained
   * (a query's SETTINGS or a SET cannot raise or lift it: 0 would mean no
   * limit, hence the minimum of 1). Returns its folder.
   */
  #limitsConfig(): string {
    const dir = mkdtempSync(join(tmpdir(), 'hyb-chdb-config-'));
    const l = this.limits;
    const bounded = { max_execution_time: l.maxExecutionSeconds, max_memory_usage: l.maxMemoryBytes, max_result_rows: l.maxResultRows, max_result_bytes: l.maxResultBytes };
    const values = Object.entries(bounded).map(([name, value]) => `<${name}>${value}</${name}>`);
    const constraints = Object.entries(bounded).map(([name, value]) => `<${name}><min>1</min><max>${value}</max></${name}>`);
    writeFileSync(
      join(dir, 'users.xml'),
      `<clickhouse><profiles><default>${values.join('')}<result_overflow_mode>throw</result_overflow_mode>` +
        `<constraints>${constraints.join('')}<result_overflow_mode><readonly/></result_overflow_mode></constraints></default></profiles>` +
        // A users file replaces the built-in one, so it declares the default user too.
        `<users><default><profile>default</profile><password></password><networks><ip>::/0</ip></networks><quota>default</quota></default></users>` +
        `<quotas><default></default></quotas></clickhouse>\n`,
    );
    writeFileSync(join(dir, 'config.xml'), `<clickhouse><users_config>${join(dir, 'users.xml')}</users_config></clickhouse>\n`);
    return dir;
  }

  /** Runs one query with its parameters bound by ClickHouse; JSON rows. */
  async query(text: string, params: Record<string, unknown>, format: 'JSON' | 'JSONCompact' = 'JSON'): Promise<Answer> {
    let sql: string;
    try {
      sql = singleStatement(text);
    } catch (error) {
      throw new EngineError((error as Error).message, ErrorCode.MULTIPLE_STATEMENTS);
    }
    try {
      return await this.#run(sql, params, format);
    } catch (error) {
      const e = error instanceof EngineError ? error : engineError(error);
      // A table that appeared after the session opened, or a column of an
      // attribute promoted since: reopen once and retry.
      const stale =
        (e.code === ErrorCode.UNKNOWN_TABLE && e.message.includes(`${LAKE_DATABASE}.`)) ||
        (e.code === ErrorCode.UNKNOWN_IDENTIFIER && JSON.stringify(readPromoted(this.root)) !== this.#promoted);
      if (stale && (await this.refresh())) {
        try {
          return await this.#run(sql, params, format);
        } catch (retry) {
          throw engineError(retry);
        }
      }
      throw e;
    }
  }

  async #run(sql: string, params: Record<string, unknown>, format: 'JSON' | 'JSONCompact'): Promise<Answer> {
    while (this.#swapping) await this.#swapping;
    this.#inFlight += 1;
    try {
      // readonly = 2 still lets `INSERT INTO FUNCTION file(…)` write, so only
      // a plain SELECT (no FORMAT, no INTO OUTFILE) gets to the engine.
      const ast = await this.#session.queryBindAsync(`EXPLAIN AST ${sql}`, params, { format: 'TSVRaw' });
      const root = ast.text().split('\n', 1)[0]!.trim();
      if (root !== 'SelectWithUnionQuery (children 1)') {
        throw new EngineError(`only a single plain SELECT is accepted; this is ${root.split(' ')[0]}${root.endsWith('(children 2)') ? ' with FORMAT or INTO OUTFILE' : ''}`, ErrorCode.READONLY);
      }
      const outside = outsideReach(ast.text());
      if (outside) throw new EngineError(`only the lake can be read; ${outside} reaches outside it`, ErrorCode.READONLY);
      const result = await this.#session.queryBindAsync(sql, params, { format });
      // ClickHouse's own statistics: what the query read, not what it returned.
      const body = result.json<{ meta: Answer['meta']; data: Answer['data']; rows: number; statistics?: { elapsed: number; rows_read: number; bytes_read: number } }>();
      return {
        meta: body.meta,
        data: body.data,
        rows: body.rows,
        statistics: {
          rowsRead: body.statistics?.rows_read ?? result.rowsRead,
          bytesRead: body.statistics?.bytes_read ?? result.bytesRead,
          elapsedMs: (body.statistics?.elapsed ?? result.elapsed) * 1000,
        },
      };
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) this.#idle.splice(0).forEach((wake) => wake());
    }
  }

  /**
   * Reopens the session if a source table now exists that had none, or the
   * promoted attributes changed; at most every 2 s. True when either did.
   */
  async refresh(): Promise<boolean> {
    if (this.#swapping) {
      await this.#swapping;
      return true;
    }
    if (Date.now() - this.#lastRefresh < 2_000) return false;
    this.#lastRefresh = Date.now();
    let changed = false;
    this.#swapping = (async () => {
      while (this.#inFlight > 0) await new Promise<void>((wake) => this.#idle.push(wake));
      const before = [this.#present.length, this.#promoted] as const;
      this.#session.close();
      await drainPending();
      [this.#session, this.#present] = this.#open();
      changed = this.#present.length > before[0] || this.#promoted !== before[1];
    })();
    try {
      await this.#swapping;
    } finally {
      this.#swapping = null;
    }
    return changed;
  }

  close(): void {
    this.#session.close();
  }
}
