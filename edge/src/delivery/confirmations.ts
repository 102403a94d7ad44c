import { rangesInclude, type SeqRange } from '../../../protocol/index.js';
import type { StoredRecord } from '../buffer/index.js';

/**
 * - `sending`: taken from the lane for a publish (staged or awaiting PUBACK).
 * - `pending`: its publish was abandoned by a connection loss; the next take sends it again.
 * - `unconfirmed`: PUBACK'd, waiting for the cloud's stored acknowledgement.
 * - `stored`: acknowledged to the lane (stored acknowledgement, or PUBACK when confirmation is off).
 */
type State = 'sending' | 'pending' | 'unconfirmed' | 'stored';

interface Tracked {
  /** The lane's handle for the record; its payload is dropped after the first PUBACK (the disk has it). */
  record: StoredRecord;
  state: State;
  /** Last PUBACK; the confirmation timeout runs from here. */
  deliveredAt: number;
  /** First PUBACK, for the age of the oldest unconfirmed record; null until then. */
  firstDeliveredAt: number | null;
}

export interface ConfirmationStats {
  /** Telemetry batches PUBACK'd at least once and not yet confirmed stored. */
  depthMessages: number;
  /** First PUBACK of the oldest of them (epoch ms), or null. */
  oldestDeliveredAt: number | null;
  /** Batches sent again because no stored acknowledgement named them within the timeout. */
  resentAfterTimeout: number;
  /** Newest batches sent again after a quiet spell so the cloud acknowledges the ones it throttled. */
  nudges: number;
}

const NO_PAYLOAD = Buffer.alloc(0);

/**
 * Which telemetry records delivery has handed out and what became of each, keyed by seq, in the order
 * the lane handed them out: the lane's `[head, read)` window seen from delivery. Records stay
 * unacknowledged in the lane (on disk, across restarts) until a stored acknowledgement names their
 * seq; only then does the lane's cursor move over them. In memory each is an index entry, not its
 * bytes. Pure: time comes in as arguments.
 *
 * The lane can only hand out again everything from its first unacknowledged record (`rewind`), so
 * after a rewind `admit` walks the re-handed records and picks what to send: records never sent,
 * publishes a connection loss abandoned, and unconfirmed records whose timeout has passed. A record
 * the lane no longer hands out was dropped for the disk budget (the buffer counts it) and is forgotten.
 */
export class Confirmations {
  private readonly tracked = new Map<number, Tracked>();
  /** `[seq, deliveredAt]` in PUBACK order; an entry whose record moved on since is skipped. */
  private due: [number, number][] = [];
  private dueHead = 0;
  /** The seqs tracked when the lane was rewound, matched in order against what it hands out again. */
  private pass: { seqs: number[]; at: number } | null = null;
  private unconfirmed = 0;
  private resent = 0;
  private nudges = 0;
  /** The record of the latest PUBACK and when it came. */
  private newest: { seq: number; at: number } | null = null;
  /** The newest record nudged last (each is nudged once); `nudging` until it is handed out again. */
  private nudged: number | null = null;
  private nudging: number | null = null;

  constructor(
    /** 0: PUBACK confirms. */
    private readonly timeoutMs: number,
    private readonly ack: (records: StoredRecord[]) => void,
  ) {}

  /** Of the records the lane just handed out, those to publish now (marked `sending`). */
  admit(records: readonly StoredRecord[], now: number): StoredRecord[] {
    const send: StoredRecord[] = [];
    const reack: StoredRecord[] = [];
    for (const record of records) {
      this.matchPass(record.seq);
      const t = this.tracked.get(record.seq);
      if (!t) {
        this.tracked.set(record.seq, { record, state: 'sending', deliveredAt: now, firstDeliveredAt: null });
        send.push(record);
      } else if (t.state === 'pending') {
        t.state = 'sending';
        send.push(record);
      } else if (t.state === 'unconfirmed') {
        const due = now >= t.deliveredAt + this.timeoutMs;
        const nudge = record.seq === this.nudging;
        if (!due && !nudge) continue;
        if (nudge) this.nudging = null;
        if (due) this.resent++;
        else this.nudges++;
        t.state = 'sending';
        send.push(record);
      } else if (t.state === 'stored') {
        // The lane moves its cursor only over records it has handed out: acknowledging again after a
        // rewind lets it move over this one.
        reack.push(record);
      }
    }
    if (reack.length) this.ack(reack);
    this.prune();
    return send;
  }

  /** PUBACK of records admitted for sending. */
  delivered(records: readonly StoredRecord[], now: number): void {
    for (const record of records) {
      const t = this.tracked.get(record.seq);
      if (t?.state !== 'sending') continue;
      if (t.firstDeliveredAt === null) {
        t.firstDeliveredAt = now;
        this.unconfirmed++;
      }
      if (this.timeoutMs === 0) {
        this.confirm(t);
        continue;
      }
      t.state = 'unconfirmed';
      t.deliveredAt = now;
      t.record.payload = NO_PAYLOAD;
      this.due.push([record.seq, now]);
      this.newest = { seq: record.seq, at: now };
    }
    this.prune();
  }

  /**
   * A stored acknowledgement: every tracked record it names is acknowledged to the lane, also one
   * still awaiting its PUBACK (the cloud stored it first). Returns how many were newly confirmed.
   */
  stored(ranges: readonly SeqRange[]): number {
    let confirmed = 0;
    for (const [seq, t] of this.tracked) {
      if (t.state === 'stored' || !rangesInclude(ranges, seq)) continue;
      this.confirm(t);
      confirmed++;
    }
    this.prune();
    return confirmed;
  }

  /** A connection loss: publishes in flight are abandoned, and the lane hands everything out again. */
  abandon(): void {
    for (const t of this.tracked.values()) if (t.state === 'sending') t.state = 'pending';
    this.rewound();
  }

  /** The lane was rewound: what it hands out next is matched against what is tracked. */
  rewound(): void {
    this.pass = { seqs: [...this.tracked.keys()], at: 0 };
  }

  /** The lane has handed out all it holds: tracked seqs it did not hand out again are gone. */
  exhausted(): void {
    const pass = this.pass;
    if (!pass) return;
    for (let i = pass.at; i < pass.seqs.length; i++) this.forget(pass.seqs[i]!);
    this.pass = null;
  }

  /**
   * When to send the newest record again if nothing is PUBACK'd until then and it is still
   * unconfirmed: the cloud acknowledges only when it writes, at most once an interval, so the last
   * batches before a quiet spell may wait for a write that does not come. Null when nothing waits so.
   */
  nudgeAt(quietMs: number): number | null {
    if (!this.newest || this.newest.seq === this.nudged) return null;
    if (this.tracked.get(this.newest.seq)?.state !== 'unconfirmed') return null;
    return this.newest.at + quietMs;
  }

  /** The next pass sends the newest record again (once). */
  nudge(): void {
    if (!this.newest) return;
    this.nudged = this.newest.seq;
    this.nudging = this.newest.seq;
  }

  /** When the first unconfirmed record's timeout passes, or null when none waits. */
  dueAt(): number | null {
    while (this.dueHead < this.due.length) {
      const [seq, deliveredAt] = this.due[this.dueHead]!;
      const t = this.tracked.get(seq);
      if (t?.state === 'unconfirmed' && t.deliveredAt === deliveredAt) return deliveredAt + this.timeoutMs;
      this.dueHead++;
    }
    this.due = [];
    this.dueHead = 0;
    return null;
  }

  stats(): ConfirmationStats {
    let oldest: number | null = null;
    for (const t of this.tracked.values()) {
      if (t.state === 'stored' || t.firstDeliveredAt === null) continue;
      if (oldest === null || t.firstDeliveredAt < oldest) oldest = t.firstDeliveredAt;
    }
    return {
      depthMessages: this.unconfirmed,
      oldestDeliveredAt: oldest,
      resentAfterTimeout: this.resent,
      nudges: this.nudges,
    };
  }

  private confirm(t: Tracked): void {
    if (t.firstDeliveredAt !== null) this.unconfirmed--;
    t.state = 'stored';
    this.ack([t.record]);
  }

  /**
   * Stored records at the front are behind the lane's cursor now, so the lane never hands them out
   * again: except during a pass, where the lane moves its cursor only over what it has handed out
   * again, so the records it has yet to re-hand are kept to be recognised.
   */
  private prune(): void {
    const next = this.pass ? this.pass.seqs[this.pass.at] : undefined;
    for (const [seq, t] of this.tracked) {
      if (t.state !== 'stored' || seq === next) break;
      this.tracked.delete(seq);
    }
    if (this.dueHead > 1024 && this.dueHead * 2 > this.due.length) {
      this.due = this.due.slice(this.dueHead);
      this.dueHead = 0;
    }
  }

  /**
   * After a rewind the lane hands out its records in the order they were tracked. Tracked seqs it
   * skips over were dropped with their segment; a seq never tracked means the re-handed part is over.
   */
  private matchPass(seq: number): void {
    const pass = this.pass;
    if (!pass) return;
    const end = this.tracked.has(seq) ? pass.seqs.indexOf(seq, pass.at) : -1;
    const stop = end === -1 ? pass.seqs.length : end;
    for (let i = pass.at; i < stop; i++) this.forget(pass.seqs[i]!);
    if (end === -1) this.pass = null;
    else pass.at = end + 1;
  }

  private forget(seq: number): void {
    const t = this.tracked.get(seq);
    if (!t) return;
    if (t.state !== 'stored' && t.firstDeliveredAt !== null) this.unconfirmed--;
    this.tracked.delete(seq);
  }
}
