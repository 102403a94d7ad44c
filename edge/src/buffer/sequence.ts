import { join } from 'node:path';
import type { SequenceSource } from '../ports.js';
import { readJsonFile, writeFileAtomicSync } from './atomic-file.js';

/** How many sequence numbers are reserved per fsync'd write; a crash skips at most this many. */
export const SEQ_RESERVATION = 256 as const;

/**
 * Telemetry batch sequence numbers that never go backwards: a block is reserved on disk before any
 * of its numbers is handed out, and recovery also starts above the highest seq found in the segments.
 */
export class PersistedSequence implements SequenceSource {
  private readonly file: string;
  private nextSeq: number;
  private reservedUpTo: number;

  constructor(dir: string, highestStoredSeq: number) {
    this.file = join(dir, 'seq.json');
    const saved = readJsonFile(this.file) as { next?: unknown } | undefined;
    const savedNext = typeof saved?.next === 'number' && Number.isSafeInteger(saved.next) ? saved.next : 0;
    this.nextSeq = Math.max(savedNext, highestStoredSeq + 1, 0);
    this.reservedUpTo = this.nextSeq;
  }

  next(): number {
    if (this.nextSeq >= this.reservedUpTo) {
      this.reservedUpTo = this.nextSeq + SEQ_RESERVATION;
      writeFileAtomicSync(this.file, JSON.stringify({ next: this.reservedUpTo }));
    }
    return this.nextSeq++;
  }

  /** On a clean stop, gives the unused part of the reservation back so seq stays gap-free. */
  release(): void {
    if (this.reservedUpTo !== this.nextSeq) {
      writeFileAtomicSync(this.file, JSON.stringify({ next: this.nextSeq }));
      this.reservedUpTo = this.nextSeq;
    }
  }
}
