/** Conversions both engines apply, so a value reads the same whichever engine produced it. */
import type { QueryRow, QueryValue } from './types.js';

/** An integer as a number when it is exact in a double, else its decimal text (JSON has no 64-bit integers). */
export function integerValue(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

/** ISO 8601 UTC text with milliseconds, the form every timestamp cell takes. */
export function isoTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/**
 * Output names made unique in order (`a`, `a_1`, `a_2`): SQL allows two columns of one name, a row
 * object does not.
 */
export function uniqueColumnNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    let unique = name;
    for (let n = 1; taken.has(unique); n++) unique = `${name}_${n}`;
    taken.add(unique);
    return unique;
  });
}

export function rowObject(names: readonly string[], values: readonly QueryValue[]): QueryRow {
  const row: QueryRow = {};
  names.forEach((name, i) => {
    row[name] = values[i] ?? null;
  });
  return row;
}
