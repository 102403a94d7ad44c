/** A place in a lane: segment file number and byte offset inside it. */
export interface Position {
  segment: number;
  offset: number;
}

export const LANES = ['alerts', 'telemetry'] as const;
export type LaneName = (typeof LANES)[number];

/** One record read back from a lane, with where it starts and where the next one starts. */
export interface StoredRecord {
  lane: LaneName;
  start: Position;
  end: Position;
  /** epoch ms when the record was appended. */
  appendedAt: number;
  /** Readings in a telemetry batch; 1 for an alert. */
  count: number;
  /** The batch's seq, or -1 for records without one. */
  seq: number;
  /** The message exactly as it is published. */
  payload: Buffer;
}

export interface AppendInput {
  payload: Buffer;
  count: number;
  seq: number;
}

export interface LaneStats {
  depthBytes: number;
  depthMessages: number;
  oldestAppendedAt: number | null;
  /** Failed attempts to save the delivery cursor since the last success (disk full, read-only). */
  cursorSaveFailures: number;
  /** The last cursor save error while it keeps failing, else null. */
  cursorError: string | null;
}

export interface BufferStats {
  alerts: LaneStats;
  telemetry: LaneStats;
  /** Bytes of every segment file on disk. */
  diskBytes: number;
  droppedReadings: number;
  droppedMessages: number;
  corruptRecords: number;
}

export interface BufferOptions {
  dir: string;
  /** Budget for all segment files; past it the oldest telemetry segments go. */
  maxBytes: number;
  /** Group-commit window: appends within it share one fsync. */
  fsyncWindowMs: number;
  /** Size at which a segment file is closed and a new one started. Default: maxBytes/16 within 64 KB..16 MB. */
  segmentBytes?: number;
  /** How often the delivery cursor is written at most (a crash redelivers at most this much). */
  cursorSaveMs?: number;
  now?: () => number;
}
