/**
 * chDB runs every statement of a multi-statement text, and reports on the
 * first only, so the service must see one statement before the engine sees
 * any. This scanner knows ClickHouse's quoting and comments: a `;` inside a
 * string, a quoted identifier, a heredoc or a comment does not end a statement.
 */

export class StatementError extends Error {}

/** `sql` without a trailing `;`; throws StatementError when a second statement follows. */
export function singleStatement(sql: string): string {
  let i = 0;
  const n = sql.length;
  const skipQuoted = (quote: string) => {
    i += 1;
    while (i < n) {
      if (sql[i] === '\\') i += 2;
      else if (sql[i] === quote && sql[i + 1] === quote) i += 2;
      else if (sql[i] === quote) return void (i += 1);
      else i += 1;
    }
    throw new StatementError(`unterminated ${quote} quote`);
  };
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') skipQuoted(c);
    else if (c === '-' && sql[i + 1] === '-') i = sql.indexOf('\n', i) === -1 ? n : sql.indexOf('\n', i);
    else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw new StatementError('unterminated /* comment');
      i = end + 2;
    } else if (c === '$') {
      // heredoc: $tag$ … $tag$
      const tag = /^\$[A-Za-z0-9_]*\$/.exec(sql.slice(i))?.[0];
      if (!tag) i += 1;
      else {
        const end = sql.indexOf(tag, i + tag.length);
        if (end === -1) throw new StatementError(`unterminated ${tag} heredoc`);
        i = end + tag.length;
      }
    } else if (c === ';') {
      const rest = sql.slice(i + 1);
      if (singleStatementTail(rest)) return sql.slice(0, i);
      throw new StatementError('one statement per request: text follows the `;`');
    } else i += 1;
  }
  return sql;
}

/** True when `text` holds only whitespace and comments. */
function singleStatementTail(text: string): boolean {
  return text.replace(/--[^\n]*(\n|$)/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim() === '';
}

/**
 * Table functions a query may read from. Everything else — `file`, `url`,
 * `s3`, `remote`, `executable`, `mysql`, … — reaches outside the lake, and
 * readonly = 2 does not stop a read.
 */
const SAFE_TABLE_FUNCTIONS = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateSeries', 'values', 'null', 'view', 'generateRandom']);
/** Scalar functions that read the filesystem. */
const OUTSIDE_SCALARS = new Set(['file']);

/**
 * Given ClickHouse's `EXPLAIN AST` text of a SELECT, the first function that
 * would read outside the lake (`"table function url"`), or null.
 */
export function outsideReach(ast: string): string | null {
  const lines = ast.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const fn = /^(\s*)Function (\S+)/.exec(lines[i]!);
    if (!fn) continue;
    const [, indent, name] = fn;
    const parent = lines[i - 1] ?? '';
    const inFrom = /^\s*TableExpression\b/.test(parent) && parent.length - parent.trimStart().length === indent!.length - 1;
    if (inFrom && !SAFE_TABLE_FUNCTIONS.has(name!)) return `table function ${name}`;
    if (!inFrom && OUTSIDE_SCALARS.has(name!)) return `function ${name}`;
  }
  return null;
}
