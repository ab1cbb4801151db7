/**
 * `POST /sql` admits one read-only SELECT. Two gates: here, a quote-aware
 * scan for a second statement and node-sql-parser's verdict on the kind of
 * statement; then the chDB service's own `EXPLAIN AST` gate, which also
 * rules on the ClickHouse syntax node-sql-parser cannot read (parametric
 * aggregates, `{name:Type}` placeholders, map subscripts).
 */
import mysql from 'node-sql-parser/build/mysql.js';
import { singleStatement, StatementError } from '../chdb/statement.ts';

export class SqlRefused extends Error {}

const parser = new mysql.Parser();

/** The statement to send, or SqlRefused saying why not. */
export function checkAdhocSql(sql: string): string {
  let one: string;
  try {
    one = singleStatement(sql).trim();
  } catch (error) {
    if (error instanceof StatementError) throw new SqlRefused(`sql: ${error.message}`);
    throw error;
  }
  if (one === '') throw new SqlRefused('sql: empty statement');
  let ast: unknown;
  try {
    ast = parser.astify(one, { database: 'mysql' });
  } catch {
    return one; // ClickHouse syntax: the chDB service's EXPLAIN AST gate decides
  }
  const statements = (Array.isArray(ast) ? ast : [ast]) as { type?: string; into?: { position?: unknown } }[];
  if (statements.length !== 1) throw new SqlRefused('sql: exactly one statement is accepted');
  const [statement] = statements;
  if (statement!.type !== 'select') throw new SqlRefused(`sql: only SELECT is accepted; this is ${String(statement!.type).toUpperCase()}`);
  if (statement!.into?.position) throw new SqlRefused('sql: SELECT … INTO is not accepted');
  return one;
}
