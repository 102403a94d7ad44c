import type { Sample } from '../detect/index.js';

export type TimerHandle = unknown;

/**
 * Timers are injected with the clock so the sampling schedule can run on virtual time (bench, tests).
 * `monotonicNow` is the time the schedule runs on: it never steps (NTP moves only the wall clock).
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  monotonicNow(): number;
}

export const systemTimers: Timers = {
  monotonicNow: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SamplerOptions {
  intervalMs: number;
  /** A read still pending after this long is reported as failed. */
  timeoutMs: number;
}

export interface SamplerStats {
  reads: number;
  failures: number;
  /** Slots skipped because the previous read had not finished. */
  skipped: number;
  consecutiveFailures: number;
}

export type SampleListener = (sample: Sample) => void;
