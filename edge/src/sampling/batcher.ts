import { type Reading, TelemetryBatchBuilder } from '../../../protocol/index.js';
import type { Clock, SequenceSource, Sink } from '../ports.js';
import type { TimerHandle, Timers } from './types.js';

export interface BatchLimits {
  maxBytes: number;
  maxAgeMs: number;
}

export interface BatchAssemblerOptions extends BatchLimits {
  towerId: string;
  sink: Sink;
  seq: SequenceSource;
  clock: Clock;
  timers: Timers;
  /** A sink that refuses a batch: counted and reported, the sampling goes on. */
  onSinkError?: (error: unknown) => void;
}

export interface BatchStats {
  batchesSealed: number;
  readingsBatched: number;
  sinkErrors: number;
}

/**
 * Packs readings into telemetry batches with the protocol's builder and hands each sealed batch to
 * the sink, when the next reading would not fit or when the oldest reading reaches `maxAgeMs`.
 * The seq is taken at sealing so sequence numbers follow the order batches reach the sink.
 */
export class BatchAssembler {
  private builder: TelemetryBatchBuilder;
  private limits: BatchLimits;
  private ageTimer: TimerHandle | undefined;
  private readonly pending = new Set<Promise<void>>();
  private readonly counters: BatchStats = { batchesSealed: 0, readingsBatched: 0, sinkErrors: 0 };

  constructor(private readonly options: BatchAssemblerOptions) {
    this.limits = { maxBytes: options.maxBytes, maxAgeMs: options.maxAgeMs };
    this.builder = new TelemetryBatchBuilder({ towerId: options.towerId, maxBytes: options.maxBytes });
  }

  stats(): BatchStats {
    return { ...this.counters };
  }

  get openCount(): number {
    return this.builder.count;
  }

  add(reading: Reading): void {
    if (!this.builder.add(reading)) {
      this.flush();
      this.builder.add(reading);
    }
    this.counters.readingsBatched++;
    if (this.ageTimer === undefined) {
      this.ageTimer = this.options.timers.setTimeout(() => {
        this.ageTimer = undefined;
        this.flush();
      }, this.limits.maxAgeMs);
    }
  }

  /** Seals the open batch (if any) and sends it. */
  flush(): void {
    if (this.ageTimer !== undefined) {
      this.options.timers.clearTimeout(this.ageTimer);
      this.ageTimer = undefined;
    }
    if (this.builder.count === 0) return;
    let seq: number;
    try {
      seq = this.options.seq.next();
    } catch (e) {
      // No seq can be persisted (the buffer directory cannot be written): the batch cannot be
      // stored either. Drop it like a refused one instead of throwing out of a timer.
      this.builder.seal(0, this.options.clock.now());
      this.counters.sinkErrors++;
      this.options.onSinkError?.(e);
      return;
    }
    const batch = this.builder.seal(seq, this.options.clock.now());
    this.counters.batchesSealed++;
    const sent = this.options.sink.telemetry(batch).catch((e: unknown) => {
      this.counters.sinkErrors++;
      this.options.onSinkError?.(e);
    });
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  /** New limits apply from the next batch; the open one is sent as it is. */
  setLimits(limits: BatchLimits): void {
    if (limits.maxBytes === this.limits.maxBytes && limits.maxAgeMs === this.limits.maxAgeMs) return;
    this.flush();
    this.limits = limits;
    this.builder = new TelemetryBatchBuilder({ towerId: this.options.towerId, maxBytes: limits.maxBytes });
  }

  /** Waits until the sink has accepted (or refused) every batch handed to it. */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
