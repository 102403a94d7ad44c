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

/**
 * The whole UTC clock hours inside the range, as a range of their own: an hour the range covers only
 * in part (`--to 2026-12-02` covers just 00:00:00.000 of that day's first hour) cannot be judged
 * offline, so it is left out. Refused when not one whole hour fits.
 */
export function wholeHours(range: QueryRange): QueryRange & { hours: number } {
  const fromMs = Math.ceil(range.fromMs / HOUR_MS) * HOUR_MS;
  const endMs = Math.floor((range.toMs + 1) / HOUR_MS) * HOUR_MS;
  if (endMs <= fromMs) {
    throw new PresetError(
      `offline-hours needs a whole clock hour between --from ${new Date(range.fromMs).toISOString()} and --to ${new Date(range.toMs).toISOString()}: widen the range`,
    );
  }
  return { fromMs, toMs: endMs - 1, hours: (endMs - fromMs) / HOUR_MS };
}
