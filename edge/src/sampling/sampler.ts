import type { Sample } from '../detect/index.js';
import type { Clock } from '../ports.js';
import { SensorReadError, type SensorSource } from '../sensors/index.js';
import type { SampleListener, SamplerOptions, SamplerStats, TimerHandle, Timers } from './types.js';

/**
 * Reads one sensor on a fixed grid (anchor + k·interval) so slow reads and late timers never make
 * the schedule drift. At most one read is in flight: a slot that comes while the previous read is
 * still running is skipped, and once that read has outlived its timeout the slot reports a failure
 * so a hung sensor still counts towards sensor-fault and sensor-offline.
 */
export class SensorSampler {
  private timer: TimerHandle | undefined;
  private anchor = 0;
  /** A source read is outstanding, possibly past its timeout: no new read starts until it settles. */
  private busy = false;
  private busyTimedOut = false;
  /** Settles when the current read is reported (value, failure or timeout) or aborted by stop(). */
  private current: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private running = false;
  private readonly counters: SamplerStats = { reads: 0, failures: 0, skipped: 0, consecutiveFailures: 0 };

  constructor(
    readonly source: SensorSource,
    private options: SamplerOptions,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly onSample: SampleListener,
  ) {}

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  stats(): SamplerStats {
    return { ...this.counters };
  }

  /** First read now, then every interval after it. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.anchor = this.timers.monotonicNow();
    this.schedule(this.anchor);
  }

  /** New interval or timeout; the grid restarts from the next read. */
  reconfigure(options: SamplerOptions): void {
    if (options.intervalMs === this.options.intervalMs && options.timeoutMs === this.options.timeoutMs)
      return;
    this.options = options;
    if (!this.running) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.anchor = this.timers.monotonicNow() + options.intervalMs;
    this.schedule(this.anchor);
  }

  /** Stops the schedule and aborts a pending read; never waits on a source that ignores the abort. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    await this.current;
  }

  /** `due` is monotonic time: a wall clock stepped back (NTP) must not stall sampling for the step. */
  private schedule(due: number): void {
    this.timer = this.timers.setTimeout(() => this.tick(due), Math.max(0, due - this.timers.monotonicNow()));
  }

  private tick(due: number): void {
    if (!this.running) return;
    const now = this.timers.monotonicNow();
    // Readings carry wall time: that is what the cloud stores and people read.
    const wall = this.clock.now();
    if (this.busy) {
      this.counters.skipped++;
      if (this.busyTimedOut) this.fail(wall, 'previous read still hung');
    } else {
      this.current = this.readOnce(wall);
    }
    const interval = this.options.intervalMs;
    // Next slot on the grid strictly after now: a timer that fired late skips missed slots instead of bunching reads.
    const next = due + Math.max(1, Math.floor((now - due) / interval) + 1) * interval;
    this.schedule(next);
  }

  private readOnce(time: number): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    this.busy = true;
    this.busyTimedOut = false;
    return new Promise<void>((done) => {
      let reported = false;
      const report = (emit?: () => void) => {
        if (reported) return;
        reported = true;
        this.timers.clearTimeout(timeout);
        emit?.();
        done();
      };
      const timeout = this.timers.setTimeout(() => {
        this.busyTimedOut = true;
        report(() => this.fail(time, `read timed out after ${this.options.timeoutMs} ms`));
        abort.abort();
      }, this.options.timeoutMs);
      abort.signal.addEventListener('abort', () => report(), { once: true });
      this.source
        .read(abort.signal)
        .then(
          (value) =>
            report(() => {
              if (typeof value === 'number' && Number.isFinite(value)) this.succeed(time, value);
              else this.fail(time, `read returned ${String(value)}`);
            }),
          (e: unknown) =>
            report(() => this.fail(time, e instanceof SensorReadError ? e.reason : (e as Error).message)),
        )
        .finally(() => {
          this.busy = false;
          if (this.abort === abort) this.abort = undefined;
        });
    });
  }

  private succeed(time: number, value: number): void {
    this.counters.reads++;
    this.counters.consecutiveFailures = 0;
    this.emit({ sensorId: this.source.id, kind: this.source.kind, time, value, consecutiveFailures: 0 });
  }

  private fail(time: number, error: string): void {
    if (!this.running) return;
    this.counters.reads++;
    this.counters.failures++;
    this.counters.consecutiveFailures++;
    this.emit({
      sensorId: this.source.id,
      kind: this.source.kind,
      time,
      value: null,
      consecutiveFailures: this.counters.consecutiveFailures,
      error,
    });
  }

  private emit(sample: Sample): void {
    this.onSample(sample);
  }
}
