/**
 * A wake-up for a loop that waits on several event sources. A `notify()` while nobody waits is kept,
 * so the next `wait()` returns at once: an alert stored while the loop is busy is never missed.
 */
export class Signal {
  private waiters: (() => void)[] = [];
  private pending = false;

  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    if (this.waiters.length === 0) {
      this.pending = true;
      return;
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
