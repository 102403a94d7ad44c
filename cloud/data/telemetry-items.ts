import { type CompactReading, QUALITY_BY_CODE, type TelemetryBatch } from '../../protocol/index.js';
import { expiresAt, KEYS, utcDay } from './keys.js';
import { MAX_CLOCK_DRIFT_MS } from './tables.js';
import type { LatestValue, StoredReading, TelemetryItem } from './types.js';

export interface ItemContext {
  receivedAt: number;
  /** Device send time of the message (a bundle's own `sentAt`). */
  sentAt: number;
  retentionDays: number;
}

/**
 * A device clock is off when the message's send time is far from the IoT receive time, or a reading
 * claims to be from the future. Old readings alone are fine: a backlog drain delivers them late.
 */
export function isClockDrifted(
  batch: TelemetryBatch,
  ctx: Pick<ItemContext, 'receivedAt' | 'sentAt'>,
): boolean {
  if (Math.abs(ctx.sentAt - ctx.receivedAt) > MAX_CLOCK_DRIFT_MS) return true;
  const latest = Math.max(...batch.readings.map((r) => batch.t0 + r[1]));
  return latest - ctx.receivedAt > MAX_CLOCK_DRIFT_MS;
}

/**
 * The items storing one batch: one per UTC day of its readings. Keys come from the batch alone
 * (tower, seq, reading times), never from the delivery: a redelivery, however late and whatever the
 * device clock, overwrites the same items. A drifted clock is recorded on the item (`drift`), not in
 * its key; receive time and expiry are the latest delivery's.
 */
export function batchToItems(batch: TelemetryBatch, ctx: ItemContext): TelemetryItem[] {
  const drifted = isClockDrifted(batch, ctx);
  const base = {
    kind: 'telemetry' as const,
    towerId: batch.towerId,
    seq: batch.seq,
    t0: batch.t0,
    s: batch.sensors,
    receivedAt: ctx.receivedAt,
    expiresAt: expiresAt(ctx.receivedAt, ctx.retentionDays),
    ...(drifted && { drift: { sentAt: ctx.sentAt, receivedAt: ctx.receivedAt } }),
  };
  const byDay = new Map<string, number[]>();
  batch.readings.forEach((r, i) => {
    const day = utcDay(batch.t0 + r[1]);
    const list = byDay.get(day);
    if (list) list.push(i);
    else byDay.set(day, [i]);
  });
  const whole = byDay.size === 1;
  return [...byDay].map(([day, indexes]) => {
    const readings = indexes.map((i) => batch.readings[i]!);
    const times = readings.map((r) => batch.t0 + r[1]);
    const tFrom = Math.min(...times);
    return {
      ...KEYS.telemetry(batch.towerId, day, tFrom, batch.seq),
      ...base,
      tFrom,
      tTo: Math.max(...times),
      r: JSON.stringify(readings),
      ...(whole ? {} : { ix: indexes }),
    };
  });
}

/** Expands an item back into readings, each with its identity `(towerId, seq, index)`. */
export function itemReadings(item: TelemetryItem): StoredReading[] {
  const compact = JSON.parse(item.r) as CompactReading[];
  return compact.map((r, pos) => {
    const reading: StoredReading = {
      towerId: item.towerId,
      seq: item.seq,
      index: item.ix ? item.ix[pos]! : pos,
      sensorId: item.s[r[0]]!,
      time: item.t0 + r[1],
      value: r[2],
    };
    if (r[3] !== undefined) reading.quality = QUALITY_BY_CODE[r[3]] as 'uncertain' | 'bad';
    if (item.drift) {
      reading.clockDrift = true;
      reading.receivedAt = item.drift.receivedAt;
    }
    return reading;
  });
}

/** Latest value per sensor of a batch (a drifted batch carries no trustworthy time and is left out). */
export function latestOfBatch(batch: TelemetryBatch): Record<string, LatestValue> {
  const latest: Record<string, LatestValue> = {};
  for (const r of batch.readings) {
    const sensorId = batch.sensors[r[0]]!;
    const t = batch.t0 + r[1];
    const current = latest[sensorId];
    if (!current || t >= current.t) {
      latest[sensorId] = {
        v: r[2],
        t,
        ...(r[3] !== undefined && { q: QUALITY_BY_CODE[r[3]] as 'uncertain' | 'bad' }),
      };
    }
  }
  return latest;
}

/** Merges `incoming` into `current` per sensor, keeping the newer time; returns null when nothing changes. */
export function mergeLatest(
  current: Record<string, LatestValue>,
  incoming: Record<string, LatestValue>,
): Record<string, LatestValue> | null {
  let changed = false;
  const merged = { ...current };
  for (const [sensorId, value] of Object.entries(incoming)) {
    const have = merged[sensorId];
    if (!have || value.t > have.t) {
      merged[sensorId] = value;
      changed = true;
    }
  }
  return changed ? merged : null;
}
