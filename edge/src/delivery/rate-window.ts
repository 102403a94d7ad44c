/**
 * A per-second limit over a sliding one-second window on an injected clock. Stricter than a token
 * bucket, which lets a full bucket plus a second of refill through in the first second: IoT Core
 * counts per second, so no one-second span here ever carries more than `limitPerSecond`.
 */
export class SlidingWindowLimiter {
  private readonly times: number[] = [];
  private readonly costs: number[] = [];
  private head = 0;
  private sum = 0;

  constructor(
    private readonly limitPerSecond: number,
    private readonly now: () => number,
  ) {}

  private expire(t: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= t - WINDOW_MS) {
      this.sum -= this.costs[this.head]!;
      this.head++;
    }
    if (this.head > 1024) {
      this.times.splice(0, this.head);
      this.costs.splice(0, this.head);
      this.head = 0;
    }
  }

  /**
   * Milliseconds until `cost` fits in the window with `reserve` left over; 0 when it fits now. A cost
   * above what the window can ever hold fits an empty window.
   */
  delayMs(cost: number, reserve = 0): number {
    const t = this.now();
    this.expire(t);
    const room = this.limitPerSecond - reserve;
    const need = Math.min(cost, room);
    let sum = this.sum;
    for (let i = this.head; sum + need > room; i++) {
      sum -= this.costs[i]!;
      if (sum + need <= room) return this.times[i]! + WINDOW_MS - t;
    }
    return 0;
  }

  take(cost: number): void {
    const t = this.now();
    this.expire(t);
    this.times.push(t);
    this.costs.push(cost);
    this.sum += cost;
  }
}

const WINDOW_MS = 1000;
