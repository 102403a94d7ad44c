import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RANGE_MS,
  PRESET_NAMES,
  PresetError,
  presetListing,
  presetSql,
  resolveRange,
  timestampMsLiteral,
  wholeHours,
} from '../../../cloud/query/index.js';
import { dtRangeFor } from '../../../protocol/index.js';

const FROM = Date.UTC(2026, 11, 1, 6);
const TO = Date.UTC(2026, 11, 3, 18, 30);

describe('presets', () => {
  it.each(PRESET_NAMES)('%s prunes to the dtRangeFor days and filters ts to the range', (name) => {
    const sql = presetSql(name, { fromMs: FROM, toMs: TO });
    const { from, to } = dtRangeFor(FROM, TO);
    expect(sql).toContain(`dt BETWEEN '${from}' AND '${to}'`);
    expect(from).toBe('2026-11-30');
    expect(sql).toContain("ts >= TIMESTAMP '2026-12-01 06:00:00' AND ts <= TIMESTAMP '2026-12-03 18:30:00'");
    // Only the subset DuckDB and Trino share: no `::` casts, no DuckDB-only time functions.
    expect(sql).not.toMatch(/::|epoch_ms|make_timestamp|strftime|today\(/);
  });

  it('counts a reading once by the readings identity, an incident once by its id', () => {
    expect(presetSql('daily-max', { fromMs: FROM, toMs: TO })).toContain(
      'SELECT DISTINCT tower_id, seq, reading_index, sensor_id, ts, value FROM readings',
    );
    expect(presetSql('alerts-per-tower', { fromMs: FROM, toMs: TO })).toContain('count(DISTINCT alert_id)');
    // offline-hours judges whole clock hours only: the last one ends at 17:59:59.999.
    expect(presetSql('offline-hours', { fromMs: FROM, toMs: TO })).toContain(
      "count(DISTINCT CASE WHEN ts >= TIMESTAMP '2026-12-01 06:00:00' AND ts <= TIMESTAMP '2026-12-03 17:59:59.999' THEN date_trunc('hour', ts) END)",
    );
  });

  it('renders a checked tower id and refuses anything else naming --tower', () => {
    expect(presetSql('daily-max', { fromMs: FROM, toMs: TO, towerId: 'tw-001' })).toContain(
      "tower_id = 'tw-001'",
    );
    for (const towerId of ["x' OR '1'='1", 'tw 001', '']) {
      expect(() => presetSql('offline-hours', { fromMs: FROM, toMs: TO, towerId })).toThrow(PresetError);
      expect(() => presetSql('offline-hours', { fromMs: FROM, toMs: TO, towerId })).toThrow(/--tower/);
    }
  });

  it('refuses an unknown preset listing the names, and a range that ends before it starts', () => {
    expect(() => presetSql('daily-min', { fromMs: FROM, toMs: TO })).toThrow(
      'unknown preset "daily-min": use one of daily-max, offline-hours, alerts-per-tower',
    );
    expect(() => presetSql('daily-max', { fromMs: TO, toMs: FROM })).toThrow(/--from .* is after --to/);
    expect(() => presetSql('daily-max', { fromMs: FROM, toMs: Number.NaN })).toThrow(/--to NaN/);
    expect(() => presetSql('daily-max', { fromMs: FROM, toMs: Date.UTC(10_000, 0, 1) })).toThrow(/0000-9999/);
  });

  it('lists every preset on one line with its description', () => {
    const lines = presetListing();
    expect(lines).toHaveLength(PRESET_NAMES.length);
    for (const [i, name] of PRESET_NAMES.entries()) expect(lines[i]).toMatch(new RegExp(`^${name} +\\S`));
  });
});

describe('preset range', () => {
  it('defaults to the 7 days before now, or before --to; --from alone ends now', () => {
    const now = Date.UTC(2026, 11, 7, 12);
    expect(resolveRange({}, now)).toEqual({ fromMs: now - DEFAULT_RANGE_MS, toMs: now });
    expect(resolveRange({ toMs: TO }, now)).toEqual({ fromMs: TO - DEFAULT_RANGE_MS, toMs: TO });
    expect(resolveRange({ fromMs: FROM }, now)).toEqual({ fromMs: FROM, toMs: now });
  });

  it('writes whole seconds plainly and keeps milliseconds when there are some', () => {
    expect(timestampMsLiteral(Date.UTC(2026, 11, 1, 1, 2, 3))).toBe("TIMESTAMP '2026-12-01 01:02:03'");
    expect(timestampMsLiteral(Date.UTC(2026, 11, 1, 1, 2, 3, 45))).toBe(
      "TIMESTAMP '2026-12-01 01:02:03.045'",
    );
  });

  it('narrows a range to its whole clock hours, and refuses one without any', () => {
    const day = Date.UTC(2026, 11, 1);
    expect(wholeHours({ fromMs: day, toMs: day + 86_400_000 - 1 })).toEqual({
      fromMs: day,
      toMs: day + 86_400_000 - 1,
      hours: 24,
    });
    // `--to 2026-12-02` (its first millisecond) adds no hour.
    expect(wholeHours({ fromMs: day, toMs: day + 86_400_000 }).hours).toBe(24);
    expect(wholeHours({ fromMs: day + 1_800_000, toMs: day + 3 * 3_600_000 + 600_000 })).toEqual({
      fromMs: day + 3_600_000,
      toMs: day + 3 * 3_600_000 - 1,
      hours: 2,
    });
    expect(() => wholeHours({ fromMs: day + 600_000, toMs: day + 3_000_000 })).toThrow(
      /^offline-hours needs a whole clock hour between --from 2026-12-01T00:10:00.000Z and --to 2026-12-01T00:50:00.000Z: widen the range$/,
    );
  });
});
