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

/** What delivery needs of a lane, on disk or in memory. */
export interface DeliveryLane {
  readonly hasUnread: boolean;
  /** The next records in order: at least one when any waits, then up to the limits. */
  take(maxRecords: number, maxPayloadBytes: number): Promise<StoredRecord[]>;
  ack(records: readonly StoredRecord[]): void;
  /** Hands out again everything not acknowledged. */
  rewind(): void;
  onData(listener: () => void): () => void;
}

/** Whether the buffer can write its directory, and what it did while it could not. */
export interface StorageStats {
  /** 'memory' when the buffer directory could not be opened: nothing is written to disk. */
  mode: 'disk' | 'memory';
  /** The last storage problem (buffer writes, cursor saves) while it lasts, else null. */
  error: string | null;
  /** Alerts the disk refused that went to the in-memory lane instead (a restart loses those still undelivered). */
  alertsInMemory: number;
  /** Alerts dropped because the in-memory lane was full (oldest first). */
  alertsDroppedFromMemory: number;
  /** Readings of telemetry batches the disk refused (not stored, not sent). */
  readingsRefused: number;
  cursorSaveFailures: number;
}

export interface BufferStats {
  storage: StorageStats;
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
  /** The lanes' file operations (tests fill the disk or make it read-only); default node:fs. */
  files?: import('./lane.js').LaneFiles;
  /** Told each new storage problem, one line (the directory cannot be opened, a write was refused). */
  onStorageProblem?: (line: string) => void;
}
