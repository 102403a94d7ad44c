import { mkdirSync } from 'node:fs';
import { type Alert, encodeMessage, type TelemetryBatch } from '../../../protocol/index.js';
import type { SequenceSource, Sink } from '../ports.js';
import { AlertLane } from './alert-lane.js';
import { DirLock } from './dir-lock.js';
import { BufferError, isStorageUnavailable, storageProblem } from './errors.js';
import { Lane } from './lane.js';
import { MemoryLane } from './memory-lane.js';
import { PersistedSequence } from './sequence.js';
import type { BufferOptions, BufferStats, LaneName } from './types.js';

const SEGMENT_MIN_BYTES = 64 * 1024;
const SEGMENT_MAX_BYTES = 4 * 1024 * 1024;

type ResolvedOptions = Required<Omit<BufferOptions, 'onStorageProblem' | 'files'>> &
  Pick<BufferOptions, 'onStorageProblem' | 'files'>;

/**
 * The sequence of a buffer without a directory. No seq can be persisted, so none is real: every
 * batch is refused by `telemetry()` (a restart would hand the same numbers out again and the cloud
 * would take new readings for old ones), and the batch's readings are counted as refused.
 */
class UnavailableSequence implements SequenceSource {
  next(): number {
    return 0;
  }
  release(): void {}
}

/**
 * The component's disk buffer: an alert lane and a telemetry lane under one byte budget, and the
 * persisted telemetry sequence. Implements `Sink` for the sensing half. When its directory cannot
 * be written it runs in memory: alerts still go out (kept in memory, counted), telemetry is refused.
 */
export class DurableBuffer implements Sink {
  readonly alerts: AlertLane;
  readonly telemetryLane: Lane | MemoryLane;
  readonly mode: 'disk' | 'memory';
  private sequence: PersistedSequence | UnavailableSequence | null = null;
  private lock: DirLock | null = null;
  private droppedReadings = 0;
  private droppedMessages = 0;
  private readingsRefused = 0;
  /** Why the directory could not be opened (memory mode). */
  private openProblem: string | null = null;
  /** The last refused write, until a write succeeds again. */
  private writeProblem: string | null = null;
  private writeProblemCode: string | null = null;

  private constructor(
    private readonly options: ResolvedOptions,
    mode: 'disk' | 'memory',
  ) {
    this.mode = mode;
    const lane = (name: LaneName) =>
      new Lane({
        name,
        dir: options.dir,
        segmentBytes: options.segmentBytes,
        // Alerts are rare and urgent: they are fsync'd at once instead of waiting for the window.
        fsyncWindowMs: name === 'alerts' ? 0 : options.fsyncWindowMs,
        cursorSaveMs: options.cursorSaveMs,
        now: options.now,
        ...(options.files && { files: options.files }),
      });
    const alertDisk = mode === 'disk' ? lane('alerts') : null;
    this.alerts = new AlertLane(alertDisk, options.now, (e) => this.refused(e));
    this.telemetryLane = mode === 'disk' ? lane('telemetry') : new MemoryLane('telemetry', options.now, 0);
    this.telemetryLane.onData(() => this.enforceBudget());
    this.alerts.onData(() => this.enforceBudget());
  }

  static async open(options: BufferOptions): Promise<DurableBuffer> {
    const segmentBytes =
      options.segmentBytes ??
      Math.min(SEGMENT_MAX_BYTES, Math.max(SEGMENT_MIN_BYTES, Math.floor(options.maxBytes / 64)));
    const resolved: ResolvedOptions = { segmentBytes, cursorSaveMs: 1000, now: Date.now, ...options };
    try {
      return await DurableBuffer.openOnDisk(resolved);
    } catch (e) {
      // A directory in use by another process, or a bug, is not a storage problem: refuse to start.
      if (!isStorageUnavailable(e)) throw e;
      const buffer = new DurableBuffer(resolved, 'memory');
      buffer.openProblem = storageProblem(options.dir, e);
      buffer.sequence = new UnavailableSequence();
      options.onStorageProblem?.(buffer.openProblem);
      return buffer;
    }
  }

  private static async openOnDisk(options: ResolvedOptions): Promise<DurableBuffer> {
    mkdirSync(options.dir, { recursive: true });
    const buffer = new DurableBuffer(options, 'disk');
    // Two writers would interleave segment files and hand out the same seq twice.
    buffer.lock = await DirLock.acquire(options.dir);
    try {
      await buffer.alerts.open();
      const report = await (buffer.telemetryLane as Lane).open();
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
  get seq(): SequenceSource {
    return this.sequence!;
  }

  lane(name: LaneName): AlertLane | Lane | MemoryLane {
    return name === 'alerts' ? this.alerts : this.telemetryLane;
  }

  /** Async so an oversized batch rejects like any other refusal instead of throwing at the caller. */
  async telemetry(batch: TelemetryBatch): Promise<void> {
    if (this.openProblem) {
      this.readingsRefused += batch.readings.length;
      throw new BufferError(this.openProblem, this.options.dir);
    }
    const { payload } = encodeMessage(batch);
    try {
      await this.telemetryLane.append({
        payload: Buffer.from(payload),
        count: batch.readings.length,
        seq: batch.seq,
      });
    } catch (e) {
      if (isStorageUnavailable(e)) {
        this.readingsRefused += batch.readings.length;
        this.refused(e);
      }
      throw e;
    }
    this.writeProblem = null;
  }

  /** Never refused for lack of storage: the alert lane keeps it in memory then. */
  async alert(alert: Alert): Promise<void> {
    const { payload } = encodeMessage(alert);
    return this.alerts.append({ payload: Buffer.from(payload), count: 1, seq: -1 });
  }

  /** Told once per kind of failure (EROFS, ENOSPC…), not once per refused write. */
  private refused(e: unknown): void {
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
    const line = storageProblem(this.options.dir, e);
    const known = this.writeProblem !== null && this.writeProblemCode === code;
    this.writeProblem = line;
    this.writeProblemCode = code;
    if (!known) this.options.onStorageProblem?.(line);
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
    const alerts = this.alerts.stats;
    const telemetry = this.telemetryLane.stats;
    return {
      storage: {
        mode: this.mode,
        error: this.openProblem ?? this.writeProblem ?? alerts.cursorError ?? telemetry.cursorError,
        alertsInMemory: this.alerts.keptInMemory,
        alertsDroppedFromMemory: this.alerts.memory.dropped,
        readingsRefused: this.readingsRefused,
        cursorSaveFailures: alerts.cursorSaveFailures + telemetry.cursorSaveFailures,
      },
      alerts,
      telemetry,
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
