import { mkdirSync } from 'node:fs';
import { type Alert, encodeMessage, type TelemetryBatch } from '../../../protocol/index.js';
import type { Sink } from '../ports.js';
import { DirLock } from './dir-lock.js';
import { Lane } from './lane.js';
import { PersistedSequence } from './sequence.js';
import type { BufferOptions, BufferStats, LaneName } from './types.js';

const SEGMENT_MIN_BYTES = 64 * 1024;
const SEGMENT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The component's disk buffer: an alert lane and a telemetry lane under one byte budget, and the
 * persisted telemetry sequence. Implements `Sink` for the sensing half.
 */
export class DurableBuffer implements Sink {
  readonly alerts: Lane;
  readonly telemetryLane: Lane;
  private sequence: PersistedSequence | null = null;
  private lock: DirLock | null = null;
  private droppedReadings = 0;
  private droppedMessages = 0;

  private constructor(private readonly options: Required<BufferOptions>) {
    const lane = (name: LaneName) =>
      new Lane({
        name,
        dir: options.dir,
        segmentBytes: options.segmentBytes,
        // Alerts are rare and urgent: they are fsync'd at once instead of waiting for the window.
        fsyncWindowMs: name === 'alerts' ? 0 : options.fsyncWindowMs,
        cursorSaveMs: options.cursorSaveMs,
        now: options.now,
      });
    this.alerts = lane('alerts');
    this.telemetryLane = lane('telemetry');
    this.telemetryLane.onData(() => this.enforceBudget());
    this.alerts.onData(() => this.enforceBudget());
  }

  static async open(options: BufferOptions): Promise<DurableBuffer> {
    const segmentBytes =
      options.segmentBytes ??
      Math.min(SEGMENT_MAX_BYTES, Math.max(SEGMENT_MIN_BYTES, Math.floor(options.maxBytes / 64)));
    const buffer = new DurableBuffer({
      segmentBytes,
      cursorSaveMs: 1000,
      now: Date.now,
      ...options,
    });
    mkdirSync(options.dir, { recursive: true });
    // Two writers would interleave segment files and hand out the same seq twice.
    buffer.lock = await DirLock.acquire(options.dir);
    try {
      await buffer.alerts.open();
      const report = await buffer.telemetryLane.open();
      buffer.sequence = new PersistedSequence(options.dir, report.maxSeq);
    } catch (e) {
      await Promise.all([buffer.alerts.close(), buffer.telemetryLane.close()]).catch(() => {});
      await buffer.lock.release();
      throw e;
    }
    buffer.enforceBudget();
    return buffer;
  }

  /** The persisted telemetry sequence (a `SequenceSource`). */
  get seq(): PersistedSequence {
    return this.sequence!;
  }

  lane(name: LaneName): Lane {
    return name === 'alerts' ? this.alerts : this.telemetryLane;
  }

  /** Async so an oversized batch rejects like any other refusal instead of throwing at the caller. */
  async telemetry(batch: TelemetryBatch): Promise<void> {
    const { payload } = encodeMessage(batch);
    return this.telemetryLane.append({
      payload: Buffer.from(payload),
      count: batch.readings.length,
      seq: batch.seq,
    });
  }

  async alert(alert: Alert): Promise<void> {
    const { payload } = encodeMessage(alert);
    return this.alerts.append({ payload: Buffer.from(payload), count: 1, seq: -1 });
  }

  /** Past the byte budget the oldest telemetry goes first; alerts are never dropped for space. */
  private enforceBudget(): void {
    while (this.alerts.diskBytes + this.telemetryLane.diskBytes > this.options.maxBytes) {
      const dropped = this.telemetryLane.dropOldestSegment();
      if (!dropped) return;
      this.droppedMessages += dropped.messages;
      this.droppedReadings += dropped.readings;
    }
  }

  stats(): BufferStats {
    return {
      alerts: this.alerts.stats,
      telemetry: this.telemetryLane.stats,
      diskBytes: this.alerts.diskBytes + this.telemetryLane.diskBytes,
      droppedReadings: this.droppedReadings,
      droppedMessages: this.droppedMessages,
      corruptRecords: this.alerts.corruptRecords + this.telemetryLane.corruptRecords,
    };
  }

  async sync(): Promise<void> {
    await Promise.all([this.alerts.sync(), this.telemetryLane.sync()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.alerts.close(), this.telemetryLane.close()]);
    this.sequence?.release();
    await this.lock?.release();
  }
}
