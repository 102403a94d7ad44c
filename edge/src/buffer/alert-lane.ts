import { isStorageUnavailable } from './errors.js';
import type { Lane } from './lane.js';
import { isMemoryRecord, MemoryLane } from './memory-lane.js';
import type { AppendInput, DeliveryLane, LaneStats, StoredRecord } from './types.js';

/**
 * The alert lane delivery sees: the disk lane while it can write, and an in-memory lane for
 * alerts the disk refused (full, read-only) or when there is no disk lane at all. An alert is the
 * one message a tower in trouble must still get out, so a storage failure never refuses one.
 */
export class AlertLane implements DeliveryLane {
  readonly memory: MemoryLane;
  /** Alerts the disk refused that were kept in memory instead. */
  keptInMemory = 0;

  constructor(
    private readonly disk: Lane | null,
    now: () => number,
    private readonly onStorageError: (e: unknown) => void,
  ) {
    this.memory = new MemoryLane('alerts', now);
  }

  async append(input: AppendInput): Promise<void> {
    if (this.disk) {
      try {
        return await this.disk.append(input);
      } catch (e) {
        if (!isStorageUnavailable(e)) throw e;
        this.onStorageError(e);
      }
    }
    this.keptInMemory++;
    return this.memory.append(input);
  }

  get hasUnread(): boolean {
    return this.memory.hasUnread || (this.disk?.hasUnread ?? false);
  }

  /** Alerts kept in memory go first: they are the ones a restart would lose. */
  take(maxRecords: number, maxPayloadBytes: number): Promise<StoredRecord[]> {
    if (this.memory.hasUnread || !this.disk) return this.memory.take(maxRecords, maxPayloadBytes);
    return this.disk.take(maxRecords, maxPayloadBytes);
  }

  ack(records: readonly StoredRecord[]): void {
    this.memory.ack(records.filter(isMemoryRecord));
    this.disk?.ack(records.filter((r) => !isMemoryRecord(r)));
  }

  rewind(): void {
    this.memory.rewind();
    this.disk?.rewind();
  }

  onData(listener: () => void): () => void {
    const offMemory = this.memory.onData(listener);
    const offDisk = this.disk?.onData(listener);
    return () => {
      offMemory();
      offDisk?.();
    };
  }

  get diskBytes(): number {
    return this.disk?.diskBytes ?? 0;
  }

  get corruptRecords(): number {
    return this.disk?.corruptRecords ?? 0;
  }

  get stats(): LaneStats {
    const m = this.memory.stats;
    const d = this.disk?.stats;
    if (!d) return m;
    const oldest = [m.oldestAppendedAt, d.oldestAppendedAt].filter((t): t is number => t !== null);
    return {
      depthBytes: d.depthBytes + m.depthBytes,
      depthMessages: d.depthMessages + m.depthMessages,
      oldestAppendedAt: oldest.length ? Math.min(...oldest) : null,
      cursorSaveFailures: d.cursorSaveFailures,
      cursorError: d.cursorError,
    };
  }

  /** Recovers the disk lane (see `Lane.open`). */
  async open(): Promise<void> {
    await this.disk?.open();
  }

  async sync(): Promise<void> {
    await this.disk?.sync();
  }

  async close(): Promise<void> {
    await this.disk?.close();
  }
}
