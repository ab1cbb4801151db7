/**
 * The ClickHouse HTTP interface, the part of it the official clients use
 * (`@clickhouse/client`, `@clickhouse/client-web`), served by a chDB session
 * with a persistent data directory: the embedded stand-in for a ClickHouse
 * server. Queries in the URL or the body (with the body as data after a
 * query in the URL, for INSERT), `param_*` bound by the engine, settings in
 * the URL, `database`, `default_format`, `X-ClickHouse-*` headers, errors as
 * ClickHouse writes them with their code, `/ping`, user/password auth.
 */
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Session } from 'chdb';
import { quoteString as literal } from '../../compiler/sql/expr.ts';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface StoreOptions {
  readonly username: string;
  readonly password: string;
  /** Where request bodies of INSERTs are staged; the session's user_files_path. */
  readonly stagingDir: string;
}

/** `INSERT INTO t [(cols)] FORMAT F`, the query a client sends with its data in the body. */
const INSERT_WITH_DATA = /^\s*INSERT\s+INTO\s+([A-Za-z_][\w.]*|`[^`]+`)\s*(\([^)]*\))?\s*FORMAT\s+(\w+)\s*;?\s*$/is;

/** URL parameters that are not settings. */
const NOT_SETTINGS = new Set(['query', 'query_id', 'database', 'default_format', 'session_id', 'role', 'user', 'password', 'compress', 'decompress', 'buffer_size']);
/** HTTP-layer settings the clients send that a single chDB session has no use for. */
const IGNORED_SETTINGS = new Set(['enable_http_compression', 'wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'http_zlib_compression_level', 'cancel_http_readonly_queries_on_client_close']);

const AUTHENTICATION_FAILED = 516;

/** ClickHouse's HTTP status for an exception code. */
function httpStatus(code: number): ContentfulStatusCode {
  if ([62, 27, 26, 36, 38, 41, 42, 43, 44, 47, 53, 69, 70, 456, 457, 117].includes(code)) return 400;
  if ([60, 81].includes(code)) return 404;
  if ([164, 497, 516, 452].includes(code)) return 403;
  return 500;
}


/**
 * The names of a query's `{name:Type}` placeholders, outside its string
 * literals, quoted names and comments. Text the engine would not take as a
 * placeholder may be counted (a `#` comment, a heredoc): that asks for a
 * parameter the query does not need, never the other way round.
 */
export function placeholders(sql: string): Set<string> {
  const names = new Set<string>();
  const tokens = /'(?:[^'\\]|\\[\s\S]|'')*'|"(?:[^"\\]|\\[\s\S]|"")*"|`(?:[^`\\]|\\[\s\S]|``)*`|--[^\n]*|\/\*[\s\S]*?\*\/|\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/g;
  for (const match of sql.matchAll(tokens)) if (match[1]) names.add(match[1]);
  return names;
}

interface Failure {
  readonly code: number;
  readonly message: string;
}

function failure(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  const code = /Code: (\d+)/.exec(message);
  return { code: code ? Number(code[1]) : 1002, message: code ? message : `Code: 1002. DB::Exception: ${message}. (UNKNOWN_EXCEPTION)` };
}

export function storeService(sessions: readonly Session[], options: StoreOptions): Hono {
  const app = new Hono();
  // Connections to the one data directory. A request has one to itself for
  // its whole run (its settings, parameters and `database` are that
  // connection's state), so none leaks into another; it waits while all are
  // busy. Queries run side by side, each on its connection's engine threads.
  const idle = [...sessions];
  const waiting: ((session: Session) => void)[] = [];
  const withSession = async <T>(work: (session: Session) => Promise<T>): Promise<T> => {
    const session = idle.pop() ?? (await new Promise<Session>((resolve) => waiting.push(resolve)));
    try {
      return await work(session);
    } finally {
      const next = waiting.shift();
      if (next) next(session);
      else idle.push(session);
    }
  };

  const fail = (c: Context, { code, message }: Failure) => {
    c.header('X-ClickHouse-Exception-Code', String(code));
    return c.text(`${message.trim()}\n`, httpStatus(code));
  };

  app.get('/ping', (c) => c.text('Ok.\n'));

  const handle = async (c: Context) => {
    const url = new URL(c.req.url);
    const search = url.searchParams;
    const basic = /^Basic (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    const [basicUser, basicPassword] = basic ? Buffer.from(basic, 'base64').toString().split(/:(.*)/s) : [];
    const user = c.req.header('x-clickhouse-user') ?? basicUser ?? search.get('user') ?? 'default';
    const password = c.req.header('x-clickhouse-key') ?? basicPassword ?? search.get('password') ?? '';
    if (user !== options.username || password !== options.password) {
      return fail(c, { code: AUTHENTICATION_FAILED, message: `Code: 516. DB::Exception: ${user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)` });
    }

    const raw = c.req.method === 'POST' ? new Uint8Array(await c.req.arrayBuffer()) : new Uint8Array();
    const inUrl = search.get('query');
    // INSERT … FORMAT F with the data in the body: staged as a file and read
    // with file(), so binary formats (Parquet, Native) pass untouched and
    // columns map by name, as ClickHouse does.
    const insert = inUrl !== null && raw.length > 0 ? INSERT_WITH_DATA.exec(inUrl) : null;
    let staged: string | undefined;
    let sql: string;
    if (insert) {
      staged = join(options.stagingDir, `insert-${randomUUID()}.${insert[3]!.toLowerCase()}`);
      await writeFile(staged, raw);
      sql = `INSERT INTO ${insert[1]}${insert[2] ?? ''} SELECT * FROM file(${literal(staged)}, ${literal(insert[3]!)})`;
    } else {
      const body = new TextDecoder().decode(raw);
      sql = inUrl !== null ? (body ? `${inUrl}\n${body}` : inUrl) : body;
    }
    if (!sql.trim()) return fail(c, { code: 62, message: 'Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)' });

    const params = new Map<string, string>();
    const settings: [string, string][] = [];
    for (const [key, value] of search) {
      if (key.startsWith('param_')) params.set(key.slice(6), value);
      else if (!NOT_SETTINGS.has(key) && !IGNORED_SETTINGS.has(key)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return fail(c, { code: 115, message: `Code: 115. DB::Exception: Unknown setting '${key}'. (UNKNOWN_SETTING)` });
        settings.push([key, value]);
      }
    }
    const format = search.get('default_format') ?? 'TabSeparated';
    // the session is in `default` between requests: naming it changes nothing (the clients name it on every request)
    const database = search.get('database') === 'default' ? null : search.get('database');
    if (database !== null && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
      return fail(c, { code: 81, message: `Code: 81. DB::Exception: Database ${JSON.stringify(database)} is not a plain name. (UNKNOWN_DATABASE)` });
    }
    const queryId = search.get('query_id') ?? randomUUID();
    // Parameters are set on the request's connection (`SET param_x`, read as a
    // server reads `param_x` from the URL: Escaped text), so bound queries
    // run side by side like the rest (chdb's own binding runs them one at a
    // time, process-wide). A parameter cannot be unset, so one a request
    // before left on the connection must never stand in for one this request
    // lacks: every placeholder needs its parameter here, as on a server.
    const used = placeholders(sql);
    for (const name of used) {
      if (!params.has(name)) return fail(c, { code: 456, message: `Code: 456. DB::Exception: Substitution \`${name}\` is not set. (UNKNOWN_QUERY_PARAMETER)` });
    }

    return withSession(async (session) => {
      const applied: string[] = [];
      try {
        if (database) session.query(`USE ${database}`);
        for (const [key, value] of settings) {
          session.query(`SET ${key} = ${literal(value)}`);
          applied.push(key);
        }
        // (a NUL written as `\0`: chDB takes the query as a C string)
        for (const name of used) session.query(`SET param_${name} = ${literal(params.get(name)!).replaceAll('\0', '\\0')}`);
        const result = await session.queryAsync(sql, { format });
        const text = result.text();
        c.header('X-ClickHouse-Query-Id', queryId);
        c.header('X-ClickHouse-Format', format);
        c.header('X-ClickHouse-Timezone', 'UTC');
        c.header(
          'X-ClickHouse-Summary',
          JSON.stringify({
            read_rows: String(result.rowsRead),
            read_bytes: String(result.bytesRead),
            written_rows: '0',
            written_bytes: '0',
            total_rows_to_read: String(result.rowsRead),
            result_rows: '0',
            result_bytes: String(text.length),
            elapsed_ns: String(Math.round(result.elapsed * 1e9)),
          }),
        );
        return c.body(text, 200, { 'Content-Type': 'text/plain; charset=UTF-8' });
      } catch (error) {
        c.header('X-ClickHouse-Query-Id', queryId);
        return fail(c, failure(error));
      } finally {
        for (const key of applied) session.query(`SET ${key} = DEFAULT`);
        if (database) session.query('USE default');
        if (staged) await rm(staged, { force: true });
      }
    });
  };

  app.get('/', handle);
  app.post('/', handle);
  return app;
}
