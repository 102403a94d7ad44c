import { mkdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, readJsonFile, writeFileAtomic } from './atomic-file.js';
import { BufferError, StorageWriteError } from './errors.js';
import { decodeFrameAt, encodeFrame, FRAME, resync } from './frame.js';
import { listSegments, segmentPath } from './segment-files.js';
import type { AppendInput, LaneName, LaneStats, Position, StoredRecord } from './types.js';

/** An unacknowledged record known to be durable. The lane keeps one per record still to deliver. */
interface Entry {
  segment: number;
  offset: number;
  bytes: number;
  appendedAt: number;
  count: number;
  seq: number;
  acked: boolean;
}

interface PendingAppend {
  frame: Buffer;
  input: AppendInput;
  appendedAt: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** The file operations a lane does; injected so tests can fill the disk or make it read-only. */
export interface LaneFiles {
  open(path: string, flags: 'a' | 'r'): Promise<SegmentHandle>;
  /** Durable replace of a small state file (the cursor); may be synchronous, or settle later. */
  writeState(path: string, text: string): void | Promise<void>;
}

/** The part of a `FileHandle` a lane uses. */
export type SegmentHandle = Pick<FileHandle, 'writev' | 'datasync' | 'truncate' | 'read' | 'close'>;

export const NODE_FILES: LaneFiles = {
  open: (path, flags) => open(path, flags),
  writeState: writeFileAtomic,
};

export interface LaneOptions {
  name: LaneName;
  dir: string;
  segmentBytes: number;
  fsyncWindowMs: number;
  cursorSaveMs: number;
  now: () => number;
  files?: LaneFiles;
}

/** Cursor saves that fail (disk full, read-only) are retried with backoff up to this interval. */
const CURSOR_RETRY_MAX_MS = 60_000;

export interface OpenReport {
  corruptRecords: number;
  tornBytes: number;
  maxSeq: number;
}

/**
 * One append-only lane of segment files with a delivery cursor. Appends are group-committed; a
 * record becomes readable only after its fsync. The cursor moves over the acknowledged prefix only,
 * so records acknowledged out of order are still never skipped.
 */
export class Lane {
  readonly name: LaneName;
  private readonly dir: string;
  private readonly cursorFile: string;
  /** Bytes of each segment file on disk (sealed and active). */
  private readonly segmentSizes = new Map<number, number>();
  private active: { segment: number; fh: SegmentHandle; bytes: number } | null = null;
  /** A failed write could not be cut back: the next write starts a new segment instead of following the garbage. */
  private activeTainted = false;
  private pending: PendingAppend[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** Unacknowledged durable records, oldest first; `entries[head..read)` are handed out, `[read..)` not yet. */
  private entries: Entry[] = [];
  private head = 0;
  private read = 0;
  private depthBytes = 0;
  private cursor: Position = { segment: 0, offset: 0 };
  private cursorDirty = false;
  private cursorTimer: NodeJS.Timeout | null = null;
  /** The cursor save under way: saves run one at a time, each writing the cursor as it was when it began. */
  private cursorSaving: Promise<boolean> | null = null;
  private readHandles = new Map<number, SegmentHandle>();
  /** Bumped by `rewind()`, so a `take` that was reading when it happened hands out nothing. */
  private rewinds = 0;
  private cursorFailures = 0;
  private cursorError: string | null = null;
  private readonly files: LaneFiles;
  private readonly listeners = new Set<() => void>();
  corruptRecords = 0;
  private closed = false;

  constructor(private readonly options: LaneOptions) {
    this.name = options.name;
    this.dir = join(options.dir, options.name);
    this.cursorFile = join(this.dir, 'cursor.json');
    this.files = options.files ?? NODE_FILES;
  }

  /** Recovers the lane: drops acknowledged segments, truncates a torn tail, skips and counts damaged records. */
  async open(): Promise<OpenReport> {
    mkdirSync(this.dir, { recursive: true });
    const saved = readJsonFile(this.cursorFile) as Partial<Position> | undefined;
    if (saved && Number.isInteger(saved.segment) && Number.isInteger(saved.offset)) {
      this.cursor = { segment: saved.segment!, offset: saved.offset! };
    }
    const report: OpenReport = { corruptRecords: 0, tornBytes: 0, maxSeq: -1 };
    const segments = listSegments(this.dir);
    segments.forEach((segment, i) => {
      const path = segmentPath(this.dir, segment);
      if (segment < this.cursor.segment) {
        rmSync(path, { force: true });
        return;
      }
      const isLast = i === segments.length - 1;
      const size = this.scanSegment(segment, readFileSync(path), isLast, report);
      if (size === 0) rmSync(path, { force: true });
      else this.segmentSizes.set(segment, size);
    });
    const first = [...this.segmentSizes.keys()][0];
    if (first !== undefined && first > this.cursor.segment) this.cursor = { segment: first, offset: 0 };
    this.corruptRecords += report.corruptRecords;
    const next = Math.max(this.cursor.segment, segments.at(-1) ?? 0) + 1;
    await this.startSegment(next);
    return report;
  }

  private scanSegment(segment: number, buf: Buffer, isLast: boolean, report: OpenReport): number {
    let at = 0;
    while (at < buf.length) {
      const result = decodeFrameAt(buf, at);
      if (result.kind === 'frame') {
        const f = result.frame;
        if (f.seq > report.maxSeq) report.maxSeq = f.seq;
        const acked = segment === this.cursor.segment && at < this.cursor.offset;
        if (!acked) {
          this.entries.push({
            segment,
            offset: at,
            bytes: f.bytes,
            appendedAt: f.appendedAt,
            count: f.count,
            seq: f.seq,
            acked: false,
          });
          this.depthBytes += f.bytes;
        }
        at += f.bytes;
        continue;
      }
      const next = resync(buf, at);
      if (next === -1) {
        if (isLast) {
          // Bytes after the last good frame of the newest segment: an append cut short by a crash,
          // never acknowledged as stored, so it is cut off rather than counted as damage.
          truncateSync(segmentPath(this.dir, segment), at);
          report.tornBytes += buf.length - at;
          return at;
        }
        report.corruptRecords++;
        return buf.length;
      }
      report.corruptRecords++;
      at = next;
    }
    return buf.length;
  }

  private async startSegment(segment: number): Promise<void> {
    const fh = await this.files.open(segmentPath(this.dir, segment), 'a');
    fsyncDir(this.dir);
    this.active = { segment, fh, bytes: 0 };
    this.segmentSizes.set(segment, 0);
  }

  /** Resolves once the record is fsync'd; only then is it stored (and readable). */
  append(input: AppendInput, windowMs = this.options.fsyncWindowMs): Promise<void> {
    if (this.closed) return Promise.reject(new BufferError('buffer is closed', this.dir));
    const appendedAt = this.options.now();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ frame: encodeFrame(input, appendedAt), input, appendedAt, resolve, reject });
      this.scheduleFlush(windowMs);
    });
  }

  private scheduleFlush(windowMs: number): void {
    if (this.flushing) return;
    if (this.flushTimer && windowMs > 0) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        if (this.pending.length) this.scheduleFlush(this.options.fsyncWindowMs);
      });
    }, windowMs);
  }

  /**
   * Writes the pending appends in groups (one writev + one datasync each). A group whose write or
   * sync fails, or is short (disk full), is cut back off the file and exactly its appends reject;
   * offsets only ever advance by bytes that reached the disk. Appends not yet tried go back to the
   * queue, so every append settles whatever fails.
   */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    let i = 0;
    while (i < batch.length) {
      const group: PendingAppend[] = [];
      const a = this.active;
      let bytes = a && !this.activeTainted && a.bytes < this.options.segmentBytes ? a.bytes : 0;
      while (i < batch.length && (group.length === 0 || bytes < this.options.segmentBytes)) {
        group.push(batch[i]!);
        bytes += batch[i]!.frame.length;
        i++;
      }
      try {
        await this.writeGroup(group);
      } catch (e) {
        const error = new StorageWriteError(
          `cannot store to ${this.dir}: ${(e as Error).message}`,
          this.dir,
          'check free disk space and permissions of buffer.dir',
          (e as NodeJS.ErrnoException).code,
          (e as Error).message,
        );
        for (const p of group) p.reject(error);
      }
    }
    for (const listener of this.listeners) listener();
  }

  private async writeGroup(group: readonly PendingAppend[]): Promise<void> {
    if (!this.active || this.activeTainted || this.active.bytes >= this.options.segmentBytes)
      await this.rotate();
    const active = this.active!;
    const frames = group.map((p) => p.frame);
    const expected = frames.reduce((n, f) => n + f.length, 0);
    try {
      const { bytesWritten } = await active.fh.writev(frames);
      if (bytesWritten !== expected) {
        throw Object.assign(new Error(`short write (${bytesWritten} of ${expected} bytes): disk full`), {
          code: 'ENOSPC',
        });
      }
      await active.fh.datasync();
    } catch (e) {
      // Whatever part reached the file is not stored: cut it off so the next record follows the last good one.
      try {
        await active.fh.truncate(active.bytes);
      } catch {
        this.activeTainted = true;
      }
      throw e;
    }
    for (const p of group) {
      this.entries.push({
        segment: active.segment,
        offset: active.bytes,
        bytes: p.frame.length,
        appendedAt: p.appendedAt,
        count: p.input.count,
        seq: p.input.seq,
        acked: false,
      });
      active.bytes += p.frame.length;
      this.depthBytes += p.frame.length;
      p.resolve();
    }
    this.segmentSizes.set(active.segment, active.bytes);
  }

  /** Opens the next segment before closing the old one, so a failed open leaves the lane writable. */
  private async rotate(): Promise<void> {
    const old = this.active!;
    const next = old.segment + 1;
    const fh = await this.files.open(segmentPath(this.dir, next), 'a');
    this.active = { segment: next, fh, bytes: 0 };
    this.segmentSizes.set(next, 0);
    this.activeTainted = false;
    await old.fh.close().catch(() => {});
    try {
      fsyncDir(this.dir);
    } catch {
      // The directory entry is made durable by the next successful fsync of the directory.
    }
  }

  /** Waits for every append issued so far to be fsync'd. */
  async sync(): Promise<void> {
    while (this.pending.length || this.flushing || this.flushTimer) {
      if (this.flushTimer && !this.flushing) this.scheduleFlush(0);
      await (this.flushing ?? new Promise((r) => setImmediate(r)));
    }
  }

  onData(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether a record is waiting to be handed out. */
  get hasUnread(): boolean {
    return this.read < this.entries.length;
  }

  /**
   * Hands out the next records in order, at least one when any is waiting, then up to the limits
   * (`maxPayloadBytes` counts each payload plus one separator byte).
   * A record whose bytes fail their check now (damaged after it was stored) is skipped and counted.
   */
  async take(maxRecords: number, maxPayloadBytes: number): Promise<StoredRecord[]> {
    const out: StoredRecord[] = [];
    let payloadBytes = 0;
    const rewinds = this.rewinds;
    while (this.read < this.entries.length && out.length < maxRecords) {
      const run: Entry[] = [];
      const segment = this.entries[this.read]!.segment;
      while (this.read < this.entries.length && out.length + run.length < maxRecords) {
        const e = this.entries[this.read]!;
        const last = run.at(-1);
        if (e.segment !== segment || (last && last.offset + last.bytes !== e.offset)) break;
        // Payload plus one separator byte: what the record adds to a bundle.
        const size = e.bytes - FRAME.headerBytes - FRAME.metaBytes + 1;
        if ((out.length || run.length) && payloadBytes + size > maxPayloadBytes) break;
        payloadBytes += size;
        run.push(e);
        this.read++;
      }
      if (run.length === 0) break;
      const first = run[0]!;
      const last = run.at(-1)!;
      const length = last.offset + last.bytes - first.offset;
      const buf = Buffer.allocUnsafe(length);
      try {
        await (await this.readHandle(segment)).read(buf, 0, length, first.offset);
      } catch (e) {
        // The disk budget may have dropped this segment while it was being read: its records are gone.
        if (this.segmentSizes.has(segment)) throw e;
        continue;
      }
      // A rewind during the read hands everything out again from the first unacknowledged record;
      // reading on would move `read` past records the caller drops as stale, stranding them.
      if (rewinds !== this.rewinds) return [];
      for (const e of run) {
        const decoded = decodeFrameAt(buf, e.offset - first.offset);
        if (decoded.kind !== 'frame') {
          this.corruptRecords++;
          this.ackEntries([e]);
          continue;
        }
        out.push({
          lane: this.name,
          start: { segment: e.segment, offset: e.offset },
          end: { segment: e.segment, offset: e.offset + e.bytes },
          appendedAt: e.appendedAt,
          count: e.count,
          seq: e.seq,
          payload: decoded.frame.payload,
        });
        ENTRIES.set(out.at(-1)!, e);
      }
      if (payloadBytes >= maxPayloadBytes) break;
    }
    return out;
  }

  private async readHandle(segment: number): Promise<SegmentHandle> {
    let fh = this.readHandles.get(segment);
    if (!fh) {
      fh = await this.files.open(segmentPath(this.dir, segment), 'r');
      this.readHandles.set(segment, fh);
    }
    return fh;
  }

  /** Marks records delivered; the cursor moves over the delivered prefix and empty segments are deleted. */
  ack(records: readonly StoredRecord[]): void {
    this.ackEntries(records.map((r) => ENTRIES.get(r)).filter((e): e is Entry => e !== undefined));
  }

  private ackEntries(entries: readonly Entry[]): void {
    // A PUBACK after close is not recorded: the record is sent again after the restart (at least once).
    if (this.closed) return;
    for (const e of entries) e.acked = true;
    let moved = false;
    while (this.head < this.read && this.entries[this.head]!.acked) {
      const e = this.entries[this.head++]!;
      this.depthBytes -= e.bytes;
      this.cursor = { segment: e.segment, offset: e.offset + e.bytes };
      moved = true;
    }
    if (!moved) return;
    this.compact();
    this.deleteDelivered();
    this.markCursorDirty();
  }

  /** Hands out again everything not acknowledged (after a connection loss). */
  rewind(): void {
    this.read = this.head;
    this.rewinds++;
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.read -= this.head;
      this.head = 0;
    }
  }

  private deleteDelivered(): void {
    const nextUnacked = this.entries[this.head];
    const firstNeeded = nextUnacked ? nextUnacked.segment : this.active!.segment;
    for (const segment of [...this.segmentSizes.keys()]) {
      if (segment >= firstNeeded || segment === this.active!.segment) continue;
      this.removeSegment(segment);
    }
  }

  private removeSegment(segment: number): void {
    this.segmentSizes.delete(segment);
    const fh = this.readHandles.get(segment);
    this.readHandles.delete(segment);
    void fh?.close();
    rmSync(segmentPath(this.dir, segment), { force: true });
  }

  /**
   * Deletes the oldest segment, delivered or not (the disk budget is exceeded). Returns what was
   * lost, or null when only the segment being written is left.
   */
  dropOldestSegment(): { messages: number; readings: number; bytes: number } | null {
    const oldest = [...this.segmentSizes.keys()].sort((a, b) => a - b)[0];
    if (oldest === undefined || oldest === this.active?.segment) return null;
    const bytes = this.segmentSizes.get(oldest) ?? 0;
    let messages = 0;
    let readings = 0;
    const kept: Entry[] = [];
    let readShift = 0;
    this.entries.forEach((e, i) => {
      if (i < this.head) return;
      if (e.segment === oldest) {
        if (!e.acked) {
          messages++;
          readings += e.count;
          this.depthBytes -= e.bytes;
        }
        if (i < this.read) readShift++;
        e.acked = true;
      } else kept.push(e);
    });
    this.read = this.read - this.head - readShift;
    this.entries = kept;
    this.head = 0;
    if (this.cursor.segment <= oldest) this.cursor = { segment: oldest + 1, offset: 0 };
    this.removeSegment(oldest);
    this.markCursorDirty();
    return { messages, readings, bytes };
  }

  get diskBytes(): number {
    let sum = 0;
    for (const size of this.segmentSizes.values()) sum += size;
    return sum;
  }

  get stats(): LaneStats {
    return {
      depthBytes: this.depthBytes,
      depthMessages: this.entries.length - this.head,
      oldestAppendedAt: this.entries[this.head]?.appendedAt ?? null,
      cursorSaveFailures: this.cursorFailures,
      cursorError: this.cursorError,
    };
  }

  private markCursorDirty(): void {
    this.cursorDirty = true;
    this.scheduleCursorSave(this.options.cursorSaveMs);
  }

  private scheduleCursorSave(delayMs: number): void {
    if (this.cursorTimer || this.closed) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = null;
      void this.saveCursor().then((saved) => {
        if (!saved) {
          // Disk full or read-only: the cursor stays dirty (a restart would only redeliver) and is retried.
          const backoff = this.options.cursorSaveMs * 2 ** Math.min(this.cursorFailures, 16);
          this.scheduleCursorSave(Math.min(CURSOR_RETRY_MAX_MS, Math.max(backoff, 1)));
        }
      });
    }, delayMs);
    this.cursorTimer.unref();
  }

  /**
   * Writes the cursor if it moved, after any save under way; false when the write failed (kept
   * dirty, reported in stats). Off the event loop: sampling and alerts do not wait for its fsyncs.
   * A cursor that moves during the write marks it dirty again and schedules the next save.
   */
  private saveCursor(): Promise<boolean> {
    const save = async (): Promise<boolean> => {
      if (!this.cursorDirty) return true;
      const text = JSON.stringify(this.cursor);
      this.cursorDirty = false;
      try {
        await this.files.writeState(this.cursorFile, text);
      } catch (e) {
        this.cursorDirty = true;
        this.cursorFailures++;
        this.cursorError = `cannot save the delivery cursor ${this.cursorFile}: ${(e as Error).message}`;
        return false;
      }
      this.cursorFailures = 0;
      this.cursorError = null;
      return true;
    };
    const saving = (this.cursorSaving ?? Promise.resolve(true)).then(save);
    this.cursorSaving = saving;
    void saving.finally(() => {
      if (this.cursorSaving === saving) this.cursorSaving = null;
    });
    return saving;
  }

  async close(): Promise<void> {
    await this.sync();
    this.closed = true;
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = null;
    // A cursor that cannot be saved now only means records are delivered again after the restart.
    await this.saveCursor();
    await this.active?.fh.close().catch(() => {});
    this.active = null;
    for (const fh of this.readHandles.values()) await fh.close();
    this.readHandles.clear();
  }
}

/** Which index entry a handed-out record is, without exposing the entry to callers. */
const ENTRIES = new WeakMap<StoredRecord, Entry>();
