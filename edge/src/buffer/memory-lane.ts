import type { AppendInput, DeliveryLane, LaneName, LaneStats, StoredRecord } from './types.js';

/** Records a memory lane holds at most; past it the oldest go (alerts are small and rare). */
export const MEMORY_LANE_MAX_RECORDS = 1000 as const;

/** Memory records are told apart from disk records by this segment number. */
export const MEMORY_SEGMENT = -1 as const;

export function isMemoryRecord(record: StoredRecord): boolean {
  return record.start.segment === MEMORY_SEGMENT;
}

/**
 * A lane in memory, for when the buffer directory cannot be written: records are delivered like
 * stored ones but a restart loses those not yet acknowledged. Bounded; the oldest go first.
 */
export class MemoryLane implements DeliveryLane {
  /** Unacknowledged records, oldest first; `[0..read)` are handed out. */
  private queue: StoredRecord[] = [];
  private read = 0;
  private nextId = 0;
  private bytes = 0;
  private readonly listeners = new Set<() => void>();
  dropped = 0;
  readonly corruptRecords = 0;
  readonly diskBytes = 0;

  constructor(
    readonly name: LaneName,
    private readonly now: () => number,
    private readonly maxRecords: number = MEMORY_LANE_MAX_RECORDS,
  ) {}

  async append(input: AppendInput): Promise<void> {
    const id = this.nextId++;
    this.queue.push({
      lane: this.name,
      start: { segment: MEMORY_SEGMENT, offset: id },
      end: { segment: MEMORY_SEGMENT, offset: id + 1 },
      appendedAt: this.now(),
      count: input.count,
      seq: input.seq,
      payload: input.payload,
    });
    this.bytes += input.payload.length;
    while (this.queue.length > this.maxRecords) {
      const gone = this.queue.shift()!;
      this.bytes -= gone.payload.length;
      if (this.read > 0) this.read--;
      this.dropped++;
    }
    for (const listener of this.listeners) listener();
  }

  get hasUnread(): boolean {
    return this.read < this.queue.length;
  }

  async take(maxRecords: number, maxPayloadBytes: number): Promise<StoredRecord[]> {
    const out: StoredRecord[] = [];
    let size = 0;
    while (this.read < this.queue.length && out.length < maxRecords) {
      const r = this.queue[this.read]!;
      if (out.length && size + r.payload.length + 1 > maxPayloadBytes) break;
      size += r.payload.length + 1;
      out.push(r);
      this.read++;
    }
    return out;
  }

  ack(records: readonly StoredRecord[]): void {
    const done = new Set(records.filter(isMemoryRecord).map((r) => r.start.offset));
    if (done.size === 0) return;
    const kept: StoredRecord[] = [];
    let read = this.read;
    this.queue.forEach((r, i) => {
      if (!done.has(r.start.offset)) kept.push(r);
      else {
        this.bytes -= r.payload.length;
        if (i < this.read) read--;
      }
    });
    this.queue = kept;
    this.read = read;
  }

  rewind(): void {
    this.read = 0;
  }

  onData(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dropOldestSegment(): null {
    return null;
  }

  get stats(): LaneStats {
    return {
      depthBytes: this.bytes,
      depthMessages: this.queue.length,
      oldestAppendedAt: this.queue[0]?.appendedAt ?? null,
      cursorSaveFailures: 0,
      cursorError: null,
    };
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {}
}
