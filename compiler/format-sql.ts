// One statement through sql-formatter; see formatAll (format.ts) for batches.
import { clickhouse, formatDialect, type DialectOptions } from 'sql-formatter';

// ClickHouse `{name:Type}` placeholders, types with one level of parentheses.
const placeholder = String.raw`\{[A-Za-z_][A-Za-z0-9_]*:[^{}()]*(?:\([^()]*\)[^{}()]*)*\}`;

const { tokenizerOptions: chTokens } = clickhouse;
const knownFunctions = new Map(chTokens.reservedFunctionNames.map((name) => [name.toUpperCase(), name]));
const keywordWords = new Set(
  [chTokens.reservedSelect, chTokens.reservedClauses, chTokens.reservedSetOperations, chTokens.reservedJoins, chTokens.reservedKeywords, chTokens.reservedDataTypes]
    .flatMap((list) => list ?? [])
    .flatMap((phrase) => phrase.toUpperCase().split(' ')),
);
const narrowed = new Map<string, DialectOptions>();

/**
 * sql-formatter's ClickHouse dialect with its function list cut to the names
 * that occur in `sql`: the full list (~1,700 names) is one regex alternation
 * tried at every token and took half the time of a 500-metric compile; a
 * word absent from `sql` cannot match, so the layout is the same. Names the
 * list lacks but `sql` calls — combinators like `countIfState(` — are added,
 * so they print as calls (`countState()`, not `countState ()`).
 */
function dialectFor(sql: string): DialectOptions {
  const known = (sql.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []).map((word) => knownFunctions.get(word.toUpperCase()));
  const called = [...sql.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\(/g)].map((m) => m[1]!).filter((name) => !keywordWords.has(name.toUpperCase()));
  const names = [...new Set([...known, ...called])].filter((name) => name !== undefined).sort();
  const key = names.join(',');
  let dialect = narrowed.get(key);
  if (!dialect) {
    dialect = { ...clickhouse, tokenizerOptions: { ...chTokens, reservedFunctionNames: names } };
    narrowed.set(key, dialect);
  }
  return dialect;
}

export function formatSql(sql: string): string {
  return formatDialect(sql, { dialect: dialectFor(sql), keywordCase: 'upper', paramTypes: { custom: [{ regex: placeholder }] } });
}
