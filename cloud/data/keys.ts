/** Key builders for the single table (layout in `tables.ts`). Numbers are zero-padded so string order is time order. */

const pad = (n: number, width: number) => String(Math.max(0, Math.trunc(n))).padStart(width, '0');

export const padTime = (epochMs: number) => pad(epochMs, 13);
export const padSeq = (seq: number) => pad(seq, 16);

/** `yyyy-mm-dd` of an epoch-ms time, UTC. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export const DAY_MS = 86_400_000;

export function dayStart(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS) * DAY_MS;
}

export const KEYS = {
  telemetry: (towerId: string, day: string, firstReadingMs: number, seq: number) => ({
    pk: `TOWER#${towerId}#${day}`,
    sk: `${padTime(firstReadingMs)}#${padSeq(seq)}`,
  }),
  telemetryPartition: (towerId: string, day: string) => `TOWER#${towerId}#${day}`,
  latest: (towerId: string) => ({ pk: `TOWER#${towerId}`, sk: 'LATEST' }),
  presence: (towerId: string) => ({ pk: `TOWER#${towerId}`, sk: 'PRESENCE' }),
  /**
   * `STATE#raise|clear` de-duplicates alert records; `SWEPT#clear` the "cleared" the sweep sends for an episode.
   * Keyed by tower as well: alert ids come from devices, so one tower's id must never settle another's.
   */
  alertClaim: (towerId: string, alertId: string, claim: 'STATE#raise' | 'STATE#clear' | 'SWEPT#clear') => ({
    pk: `ALERT#${towerId}#${alertId}`,
    sk: claim,
  }),
  suppression: (towerId: string, sensorId: string, rule: string) => ({
    pk: `SUPPRESS#${towerId}#${sensorId}#${rule}`,
    sk: 'STATE',
  }),
  quarantine: (receivedAt: number, consumer: string, shardId: string, sequenceNumber: string) => ({
    pk: `QUARANTINE#${utcDay(receivedAt)}`,
    sk: `${padTime(receivedAt)}#${consumer}#${shardId}#${sequenceNumber}`,
  }),
} as const;

/** Value of `sweepKey` on items the sweep must look at; removed once handled (sparse index). */
export const SWEEP_DUE = 'DUE' as const;

/** TTL attribute value (epoch seconds) `days` after `fromMs`. */
export function expiresAt(fromMs: number, days: number): number {
  return Math.floor(fromMs / 1000) + Math.round(days * 86_400);
}
