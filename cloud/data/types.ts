import type { SeqRange } from '../../protocol/index.js';
import type { CompactReading } from '../../protocol/index.js';

/** One stored telemetry item (layout in `tables.ts`). */
export interface TelemetryItem {
  pk: string;
  sk: string;
  kind: 'telemetry';
  towerId: string;
  seq: number;
  /** Base time the offsets in `r` are relative to. */
  t0: number;
  /** Time span of the item's readings (device time, also when the clock drifted). */
  tFrom: number;
  tTo: number;
  s: string[];
  /** JSON text of CompactReading[]: one string attribute is smaller than a DynamoDB list of lists. */
  r: string;
  /** Batch index of each reading when the item holds only part of its batch. */
  ix?: number[];
  receivedAt: number;
  /** Set when the device clock was more than the allowed drift from the IoT receive time (of the latest delivery). */
  drift?: { sentAt: number; receivedAt: number };
  expiresAt: number;
}

/** A reading read back: `(towerId, seq, index)` is its identity. */
export interface StoredReading {
  towerId: string;
  seq: number;
  index: number;
  sensorId: string;
  /** Device time. */
  time: number;
  value: number | null;
  quality?: 'uncertain' | 'bad';
  /** The device clock was off: `time` is what the device said, `receivedAt` when IoT Core got it. */
  clockDrift?: true;
  receivedAt?: number;
}

export interface LatestValue {
  v: number | null;
  t: number;
  q?: 'uncertain' | 'bad';
}

/** The per-tower latest-state item. */
export interface LatestItem {
  pk: string;
  sk: 'LATEST';
  kind: 'latest';
  towerId: string;
  sensors: Record<string, LatestValue>;
  version: number;
  updatedAt: number;
  /** The tower's recently stored batch seqs (the stored acknowledgement names them again each time). */
  stored?: SeqRange[];
  /** When the last stored acknowledgement went to the tower (epoch ms). */
  ackSentAt?: number;
}

export type { CompactReading };
