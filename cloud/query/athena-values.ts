/**
 * Athena returns every cell as text (`VarCharValue`, absent for null) with the column's Trino type in
 * `ResultSetMetadata.ColumnInfo`; these turn them into the values the DuckDB engine gives.
 */
import type { ColumnInfo } from '@aws-sdk/client-athena';
import type { QueryColumnKind, QueryValue } from './types.js';
import { integerValue, isoTimestamp } from './values.js';

const KIND_BY_TYPE: Record<string, QueryColumnKind> = {
  varchar: 'text',
  char: 'text',
  string: 'text',
  tinyint: 'integer',
  smallint: 'integer',
  integer: 'integer',
  int: 'integer',
  bigint: 'integer',
  real: 'number',
  float: 'number',
  double: 'number',
  decimal: 'number',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  'timestamp with time zone': 'timestamp',
};

export function athenaColumnKind(type: string): QueryColumnKind {
  return KIND_BY_TYPE[type.toLowerCase().replace(/\(.*\)/, '')] ?? 'other';
}

export function athenaColumnType(column: ColumnInfo): string {
  return column.Type ?? 'varchar';
}

/** `2026-12-01 00:00:00.000` (or with ` UTC`) as ISO; a time in another zone or out of range stays text. */
function timestampValue(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?: (UTC|Z))?$/.exec(text);
  if (!match) return text;
  const ms = Date.parse(`${match[1]}T${match[2]}Z`);
  return Number.isFinite(ms) ? isoTimestamp(ms) : text;
}

export function athenaValue(text: string | undefined, kind: QueryColumnKind): QueryValue {
  if (text === undefined) return null;
  switch (kind) {
    case 'integer':
      return /^-?\d+$/.test(text) ? integerValue(BigInt(text)) : text;
    case 'number': {
      // NaN and ±Infinity stay text, as DuckDB's values do: JSON has no number for them.
      const n = Number(text);
      return text !== '' && Number.isFinite(n) ? n : text;
    }
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'timestamp':
      return timestampValue(text);
    default:
      return text;
  }
}
