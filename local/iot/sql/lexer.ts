import { SqlParseError } from '../errors.js';

export type Token =
  | { type: 'ident'; value: string; pos: number }
  | { type: 'keyword'; value: Keyword; pos: number }
  | { type: 'number'; value: number; pos: number }
  | { type: 'string'; value: string; pos: number }
  | { type: 'op'; value: string; pos: number }
  | { type: 'eof'; pos: number };

export const KEYWORDS = [
  'SELECT',
  'FROM',
  'WHERE',
  'AS',
  'AND',
  'OR',
  'NOT',
  'TRUE',
  'FALSE',
  'NULL',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

/** Words IoT SQL knows but this engine does not run: refused at load so a rule never half-works. */
export const UNSUPPORTED_KEYWORDS = [
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'VALUE',
  'IN',
  'IS',
  'LIKE',
  'SET',
  'GROUP',
  'ORDER',
  'BY',
  'JOIN',
  'UNION',
  'LIMIT',
  'DISTINCT',
] as const;

const OPERATORS = [
  '<>',
  '!=',
  '<=',
  '>=',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  ',',
  '.',
  '[',
  ']',
];

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (/[A-Za-z_]/.test(ch)) {
      while (i < sql.length && /[A-Za-z0-9_]/.test(sql[i]!)) i++;
      const word = sql.slice(start, i);
      const upper = word.toUpperCase();
      if ((KEYWORDS as readonly string[]).includes(upper)) {
        tokens.push({ type: 'keyword', value: upper as Keyword, pos: start });
      } else if ((UNSUPPORTED_KEYWORDS as readonly string[]).includes(upper)) {
        throw new SqlParseError(`unsupported keyword ${upper}`, start, sql);
      } else {
        tokens.push({ type: 'ident', value: word, pos: start });
      }
      continue;
    }
    if (/[0-9]/.test(ch)) {
      while (i < sql.length && /[0-9]/.test(sql[i]!)) i++;
      if (sql[i] === '.' && /[0-9]/.test(sql[i + 1] ?? '')) {
        i++;
        while (i < sql.length && /[0-9]/.test(sql[i]!)) i++;
      }
      if (/[eE]/.test(sql[i] ?? '')) {
        let j = i + 1;
        if (/[+-]/.test(sql[j] ?? '')) j++;
        if (!/[0-9]/.test(sql[j] ?? '')) throw new SqlParseError('malformed number exponent', i, sql);
        i = j;
        while (i < sql.length && /[0-9]/.test(sql[i]!)) i++;
      }
      tokens.push({ type: 'number', value: Number(sql.slice(start, i)), pos: start });
      continue;
    }
    if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SqlParseError('unterminated string literal', start, sql);
        const c = sql[i]!;
        if (c === '\\' && i + 1 < sql.length) {
          value += sql[i + 1];
          i += 2;
        } else if (c === "'") {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      tokens.push({ type: 'string', value, pos: start });
      continue;
    }
    if (ch === '"' || ch === '`') {
      throw new SqlParseError(
        `quoted names (${ch}…${ch}) are not supported; use plain identifiers`,
        start,
        sql,
      );
    }
    const op = OPERATORS.find((o) => sql.startsWith(o, i));
    if (!op) throw new SqlParseError(`unexpected character ${JSON.stringify(ch)}`, start, sql);
    tokens.push({ type: 'op', value: op === '!=' ? '<>' : op, pos: start });
    i += op.length;
  }
  tokens.push({ type: 'eof', pos: sql.length });
  return tokens;
}
