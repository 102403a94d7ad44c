/**
 * A token bucket on an injected clock. `take` may drive the level below zero so a message larger than
 * what is left still goes out whole and the debt delays the next one: the long-run rate holds.
 */
export class TokenBucket {
  private level: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly capacity: number,
    private readonly now: () => number,
  ) {
    this.level = capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    if (t > this.last) {
      this.level = Math.min(this.capacity, this.level + ((t - this.last) * this.ratePerSec) / 1000);
      this.last = t;
    }
  }

  /** Milliseconds until `cost` tokens (at most the capacity) are available; 0 when they are now. */
  delayMs(cost: number): number {
    this.refill();
    const need = Math.min(cost, this.capacity) - this.level;
    return need <= 0 ? 0 : Math.ceil((need * 1000) / this.ratePerSec);
  }

  take(cost: number): void {
    this.refill();
    this.level -= cost;
  }
}
