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
