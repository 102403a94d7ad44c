/**
 * DuckDB values as the engines' common cells: timestamps as ISO 8601 UTC text, integers as numbers
 * when exact, decimals as numbers. Everything else takes the node-api's JSON conversion (dates as
 * `YYYY-MM-DD`, NaN/Infinity as text), nested values recursing through this converter.
 */
import {
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  type DuckDBValueConverter,
  dateFromTimestampMillisecondsValue,
  dateFromTimestampNanosecondsValue,
  dateFromTimestampSecondsValue,
  dateFromTimestampTZValue,
  dateFromTimestampValue,
  doubleFromDecimalValue,
  type Json,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api';
import { integerValue, type QueryColumnKind, type QueryValue } from '../../cloud/query/index.js';

const TIMESTAMP_TO_DATE: Partial<Record<DuckDBTypeId, (value: DuckDBValue) => Date>> = {
  [DuckDBTypeId.TIMESTAMP]: dateFromTimestampValue,
  [DuckDBTypeId.TIMESTAMP_S]: dateFromTimestampSecondsValue,
  [DuckDBTypeId.TIMESTAMP_MS]: dateFromTimestampMillisecondsValue,
  [DuckDBTypeId.TIMESTAMP_NS]: dateFromTimestampNanosecondsValue,
  [DuckDBTypeId.TIMESTAMP_TZ]: dateFromTimestampTZValue,
};

const INTEGER_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
]);
const NUMBER_TYPES = new Set<DuckDBTypeId>([DuckDBTypeId.FLOAT, DuckDBTypeId.DOUBLE, DuckDBTypeId.DECIMAL]);
const TEXT_TYPES = new Set<DuckDBTypeId>([DuckDBTypeId.VARCHAR, DuckDBTypeId.ENUM, DuckDBTypeId.UUID]);

export function duckdbColumnKind(type: DuckDBType): QueryColumnKind {
  const id = type.typeId;
  if (INTEGER_TYPES.has(id)) return 'integer';
  if (NUMBER_TYPES.has(id)) return 'number';
  if (TEXT_TYPES.has(id)) return 'text';
  if (id in TIMESTAMP_TO_DATE) return 'timestamp';
  if (id === DuckDBTypeId.DATE) return 'date';
  if (id === DuckDBTypeId.BOOLEAN) return 'boolean';
  return 'other';
}

export const queryValueConverter: DuckDBValueConverter<QueryValue> = (value, type, self) => {
  if (value === null) return null;
  const toDate = TIMESTAMP_TO_DATE[type.typeId];
  if (toDate) {
    // ±infinity and times past what a JS Date holds keep DuckDB's own text.
    try {
      return toDate(value).toISOString();
    } catch {
      return String(value);
    }
  }
  if (INTEGER_TYPES.has(type.typeId)) return integerValue(BigInt(value as bigint | number));
  if (type.typeId === DuckDBTypeId.DECIMAL) return doubleFromDecimalValue(value);
  return JsonDuckDBValueConverter(value, type, self as DuckDBValueConverter<Json>);
};
