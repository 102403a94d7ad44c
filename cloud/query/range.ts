/** The time range a preset covers, and its rendering as SQL literals from numbers only. */
import { PresetError } from './errors.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** What a preset covers when neither `--from` nor `--to` is given: the last 7 days. */
export const DEFAULT_RANGE_MS = 7 * DAY_MS;

/** `[fromMs, toMs]`, both inclusive (as `towerwatch readings` reads `--to`), epoch ms UTC. */
export interface QueryRange {
  fromMs: number;
  toMs: number;
}

// Years 0000-9999: the four-digit form both engines' timestamp literals take.
const FIRST_MS = Date.parse('0000-01-01T00:00:00Z');
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The range from what was given: a missing end is now, a missing start 7 days before the end. */
export function resolveRange(given: { fromMs?: number; toMs?: number }, nowMs: number): QueryRange {
  const toMs = given.toMs ?? (given.fromMs !== undefined ? Math.max(nowMs, given.fromMs) : nowMs);
  const fromMs = given.fromMs ?? toMs - DEFAULT_RANGE_MS;
  return assertRange({ fromMs, toMs });
}

export function assertRange(range: QueryRange): QueryRange {
  for (const [flag, ms] of [
    ['--from', range.fromMs],
    ['--to', range.toMs],
  ] as const) {
    if (!Number.isInteger(ms) || ms < FIRST_MS || ms > LAST_MS) {
      throw new PresetError(
        `${flag} ${ms} is outside the years 0000-9999: give an ISO 8601 time or epoch ms`,
      );
    }
  }
  if (range.fromMs > range.toMs) {
    throw new PresetError(
      `--from ${new Date(range.fromMs).toISOString()} is after --to ${new Date(range.toMs).toISOString()}: swap them`,
    );
  }
  return range;
}

/**
 * `TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.mmm]'`: the literal DuckDB and Trino both read. Milliseconds only
 * when the time has them, so whole-second bounds stay in the plainest form.
 */
export function timestampMsLiteral(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  const text = epochMs % 1000 === 0 ? iso.slice(0, 19) : iso.slice(0, 23);
  return `TIMESTAMP '${text.replace('T', ' ')}'`;
}

/** UTC clock hours the range touches: the values `date_trunc('hour', ts)` can take in it. */
export function hoursTouched(range: QueryRange): number {
  return Math.floor(range.toMs / HOUR_MS) - Math.floor(range.fromMs / HOUR_MS) + 1;
}
