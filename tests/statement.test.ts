import { describe, expect, it } from 'vitest';
import { singleStatement, StatementError } from '../runtime/chdb/statement.ts';

describe('singleStatement', () => {
  it.each([
    ['SELECT 1', 'SELECT 1'],
    ['SELECT 1;', 'SELECT 1'],
    ['SELECT 1 ; -- done\n/* really */  ', 'SELECT 1 '],
    ["SELECT 'a;b', 'it''s;', 'back\\';slash'", "SELECT 'a;b', 'it''s;', 'back\\';slash'"],
    ['SELECT "we;ird", `al;so` FROM t', 'SELECT "we;ird", `al;so` FROM t'],
    ['SELECT $$semi;colon$$, $tag$x;y$tag$', 'SELECT $$semi;colon$$, $tag$x;y$tag$'],
    ['SELECT 1 -- a ; in a comment\n', 'SELECT 1 -- a ; in a comment\n'],
  ])('accepts %j', (sql, expected) => {
    expect(singleStatement(sql)).toBe(expected);
  });

  it.each([
    ['SELECT 1; SELECT 2', /one statement/],
    ["SELECT 'a;b'; DROP TABLE t", /one statement/],
    ['SELECT 1;; ', /one statement/],
    ["SELECT 'open", /unterminated ' quote/],
    ['SELECT /* open', /unterminated \/\* comment/],
    ['SELECT $x$ open', /unterminated \$x\$ heredoc/],
  ])('refuses %j', (sql, message) => {
    expect(() => singleStatement(sql)).toThrow(StatementError);
    expect(() => singleStatement(sql)).toThrow(message);
  });
});
