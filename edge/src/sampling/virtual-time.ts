import type { Clock } from '../ports.js';
import type { TimerHandle, Timers } from './types.js';

interface Entry {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A clock and timers that advance only when told, for running hours of sampling in moments
 * (benchmark, tests). Promise callbacks settle between timers, as they would in real time.
 */
export class VirtualTime implements Clock, Timers {
  private current: number;
  private nextId = 1;
  private queue: Entry[] = [];
  /** Wall clock minus the monotonic clock: moved by `stepWallClock`, as NTP does. */
  private wallOffset = 0;

  constructor(start: number) {
    this.current = start;
  }

  /** Wall time. */
  now(): number {
    return this.current + this.wallOffset;
  }

  /** The time timers run on: it only moves forward, with `advance`. */
  monotonicNow(): number {
    return this.current;
  }

  /** Steps the wall clock (an NTP correction) without moving monotonic time or the timers. */
  stepWallClock(deltaMs: number): void {
    this.wallOffset += deltaMs;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry = { id: this.nextId++, due: this.current + Math.max(0, ms), fn };
    // Keep the queue ordered by due time, ties in creation order.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.due > entry.due) i--;
    this.queue.splice(i, 0, entry);
    return entry.id;
  }

  clearTimeout(handle: TimerHandle): void {
    const i = this.queue.findIndex((e) => e.id === handle);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Runs every timer due within `ms`, in order, letting promise chains settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    await settle();
    while (this.queue.length && this.queue[0]!.due <= end) {
      const entry = this.queue.shift()!;
      this.current = entry.due;
      entry.fn();
      await settle();
    }
    this.current = end;
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
