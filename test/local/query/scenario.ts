/**
 * A small fleet's archive over three days, and each preset's answer computed here from the rows
 * (plain loops over the fixture data, not SQL), to check the engines against.
 */
import type { AlertRow, ReadingRow } from '../../../protocol/index.js';
import { type ArchiveFile, alert, batch, DAY, filesOf, HOUR } from './fixtures.js';

/** The range the tests query: three whole UTC days, 72 clock hours. */
export const FROM = Date.UTC(2026, 11, 1);
export const TO = FROM + 3 * DAY - 1;
export const RANGE_HOURS = 72;
const SENSORS = ['temp-cabinet', 'voltage-dc'];

/**
 * Hourly batches of 6 readings 10 minutes apart, starting at :55 so most cross an hour (and one
 * crosses midnight into the range from the slack partition before it), from 2 h before the range
 * to 2 h after. tw-001 never misses one, tw-002 has gaps and a long outage, tw-003 reports a while.
 */
export function fleetReadings(): ReadingRow[][] {
  const batches: ReadingRow[][] = [];
  const first = FROM - 2 * HOUR + 55 * 60_000;
  for (let k = 0; first + k * HOUR <= TO + 2 * HOUR; k++) {
    const t0 = first + k * HOUR;
    batches.push(batch('tw-001', 100 + k, t0, SENSORS, 6, 600_000));
    if (k % 5 !== 2 && (k < 30 || k > 40)) batches.push(batch('tw-002', 500 + k, t0, SENSORS, 6, 600_000));
    if (k >= 24 && k <= 30) batches.push(batch('tw-003', 900 + k, t0, SENSORS, 6, 600_000));
  }
  return batches;
}

export function fleetAlerts(): AlertRow[][] {
  return [
    [alert('tw-001', 'a0', 'raise', FROM - 3 * HOUR, 'warning')],
    [alert('tw-001', 'a1', 'raise', FROM + HOUR, 'warning')],
    [alert('tw-001', 'a1', 'clear', FROM + 2 * HOUR, 'warning')],
    [alert('tw-001', 'a2', 'raise', FROM + 30 * HOUR, 'critical')],
    [alert('tw-001', 'a3', 'raise', FROM + 50 * HOUR, 'warning')],
    [alert('tw-001', 'a9', 'raise', TO + HOUR, 'critical')],
    [alert('tw-002', 'b1', 'raise', FROM + 5 * HOUR, 'info')],
    [alert('tw-002', 'b2', 'raise', FROM + 6 * HOUR, 'critical')],
    [alert('tw-002', 'b2', 'clear', FROM + 7 * HOUR, 'critical')],
  ];
}

/** The archive's files; `redelivered` adds every third readings batch and every alert a second time. */
export function fleetFiles(opts: { redelivered?: boolean } = {}): ArchiveFile[] {
  const readings = fleetReadings();
  const alerts = fleetAlerts();
  const files = [...filesOf('readings', readings, 'first'), ...filesOf('alerts', alerts, 'first')];
  if (opts.redelivered) {
    files.push(
      ...filesOf(
        'readings',
        readings.filter((_, i) => i % 3 === 0),
        'redelivered',
      ),
      ...filesOf('alerts', alerts, 'redelivered'),
    );
  }
  return files;
}

const inRange = (ts: number, from: number, to: number) => ts >= from && ts <= to;
const utcDay = (ts: number) => new Date(ts).toISOString().slice(0, 10);
const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function distinctReadings(batches: ReadingRow[][]): ReadingRow[] {
  const byIdentity = new Map<string, ReadingRow>();
  for (const r of batches.flat()) byIdentity.set(`${r.tower_id}/${r.seq}/${r.reading_index}`, r);
  return [...byIdentity.values()];
}

export function expectedDailyMax(batches: ReadingRow[][], from: number, to: number, towerId?: string) {
  const groups = new Map<string, ReadingRow[]>();
  for (const r of distinctReadings(batches)) {
    if (!inRange(r.ts, from, to) || (towerId !== undefined && r.tower_id !== towerId)) continue;
    const key = [r.tower_id, r.sensor_id, utcDay(r.ts)].join('|');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups]
    .map(([key, rows]) => {
      const [tower_id, sensor_id, day] = key.split('|') as [string, string, string];
      const values = rows.map((r) => r.value).filter((v): v is number => v !== null);
      return {
        tower_id,
        sensor_id,
        day,
        max_value: values.length ? Math.max(...values) : null,
        min_value: values.length ? Math.min(...values) : null,
        mean_value: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
        readings: rows.length,
      };
    })
    .sort((a, b) => order(a.tower_id, b.tower_id) || order(a.sensor_id, b.sensor_id) || order(a.day, b.day));
}

/** Whole clock hours inside [from, to] enumerated one by one, each checked for a reading inside it. */
export function expectedOfflineHours(batches: ReadingRow[][], from: number, to: number, towerId?: string) {
  const hourStarts: number[] = [];
  for (let h = Math.ceil(from / HOUR) * HOUR; h + HOUR - 1 <= to; h += HOUR) hourStarts.push(h);
  const rows = batches.flat().filter((r) => inRange(r.ts, from, to));
  const towers = towerId !== undefined ? [towerId] : [...new Set(rows.map((r) => r.tower_id))];
  return towers
    .map((tower) => {
      const mine = rows.filter((r) => r.tower_id === tower);
      const withReadings = hourStarts.filter((h) => mine.some((r) => r.ts >= h && r.ts < h + HOUR)).length;
      return {
        tower_id: tower,
        hours_in_range: hourStarts.length,
        hours_with_readings: withReadings,
        offline_hours: hourStarts.length - withReadings,
      };
    })
    .sort((a, b) => b.offline_hours - a.offline_hours || order(a.tower_id, b.tower_id));
}

export function expectedAlertsPerTower(batches: AlertRow[][], from: number, to: number, towerId?: string) {
  const ids = new Map<string, Set<string>>();
  for (const a of batches.flat()) {
    if (a.state !== 'raise' || !inRange(a.ts, from, to)) continue;
    if (towerId !== undefined && a.tower_id !== towerId) continue;
    const key = `${a.tower_id}|${a.severity}`;
    ids.set(key, (ids.get(key) ?? new Set()).add(a.alert_id));
  }
  return [...ids]
    .map(([key, set]) => {
      const [tower_id, severity] = key.split('|') as [string, string];
      return { tower_id, severity, raises: set.size };
    })
    .sort((a, b) => order(a.tower_id, b.tower_id) || order(a.severity, b.severity));
}
