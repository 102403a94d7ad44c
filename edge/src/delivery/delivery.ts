import { STORED_ACK, storedAckTopic } from '../../../protocol/index.js';
import type { DeliveryLane, DurableBuffer, LaneName, StoredRecord } from '../buffer/index.js';
import type { Transport } from '../transport/index.js';
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF } from '../transport/index.js';
import { Confirmations } from './confirmations.js';
import { buildMessage, bundleEnvelopeBytes } from './messages.js';
import { Signal } from './signal.js';
import { SlidingWindowLimiter } from './rate-window.js';
import { parseStoredAck } from './stored-ack-message.js';
import type { DeliveryLimits, DeliveryStats, OutgoingMessage, Scheduler } from './types.js';
import { realScheduler } from './types.js';

/** Most stored batches in one bundle; the byte limit is what normally binds. */
const MAX_BATCHES_PER_BUNDLE = 1000;

/**
 * What telemetry leaves free in every one-second window so an alert never waits for a slot behind a
 * backlog: a few publishes and a few KB (an alert is about 300 bytes).
 */
export function alertHeadroom(limits: Pick<DeliveryLimits, 'maxPublishesPerSecond' | 'maxBytesPerSecond'>) {
  return {
    publishes: Math.floor(Math.min(5, limits.maxPublishesPerSecond / 10)),
    bytes: Math.floor(Math.min(8 * 1024, limits.maxBytesPerSecond / 64)),
  };
}

/**
 * The bundle size for draining: at most `drainMaxBytes`, and a whole fraction of what one second may
 * carry after the alert headroom, so full bundles pack each window without a gap.
 */
export function bundleBytes(
  limits: Pick<DeliveryLimits, 'maxPublishesPerSecond' | 'maxBytesPerSecond' | 'drainMaxBytes'>,
) {
  const room = limits.maxBytesPerSecond - alertHeadroom(limits).bytes;
  return Math.min(limits.drainMaxBytes, Math.floor(room / Math.ceil(room / limits.drainMaxBytes)));
}

export interface DeliveryOptions extends DeliveryLimits {
  towerId: string;
  buffer: DurableBuffer;
  transport: Transport;
  scheduler?: Scheduler;
  /** Pause after a publish the service refused (not a lost connection) before trying again. */
  retryBackoff?: BackoffOptions;
  /**
   * How long a PUBACK'd telemetry batch waits for a stored acknowledgement before it is sent again.
   * 0 or absent: PUBACK confirms (a cloud that sends no acknowledgements).
   */
  confirmTimeoutMs?: number;
}

/**
 * Re-sending after a timeout re-reads the lane from its first unacknowledged record; timeouts that
 * fall close together share one such pass, at the cost of a re-send up to this share of the timeout late.
 */
const RESEND_PASS_SHARE = 0.1;

/**
 * Quiet spell after which the newest unconfirmed batch is sent once more: past the cloud's
 * acknowledgement interval (its write may then acknowledge) with a margin for the pipeline.
 */
const NUDGE_AFTER_MS = STORED_ACK.minIntervalMs + 2_000;

/**
 * Moves stored records to IoT Core, at least once: alerts before any telemetry, each lane in order,
 * at most `maxInflight` unacknowledged publishes, under the per-connection publish and byte rates.
 * A backlog drains as bundles of up to `drainMaxBytes`. Everything not PUBACK'd is sent again after a
 * connection loss.
 *
 * An alert is acknowledged to the buffer on PUBACK (the notifier de-duplicates by alert id, and
 * nothing stores alerts by seq). A telemetry batch is acknowledged only when the cloud's stored
 * acknowledgement names its seq: PUBACK (or the Greengrass spooler taking it) says only that a broker
 * holds it. Until then it stays in the buffer, and it is sent again once `confirmTimeoutMs` has
 * passed since its last PUBACK. A connection loss does not make PUBACK'd batches due early: a lost
 * link says nothing about what the broker already holds, and re-sending the whole confirmation
 * window after every reconnect of a flaky link would multiply a backlog drain.
 */
export class Delivery {
  private readonly scheduler: Scheduler;
  private readonly publishes: SlidingWindowLimiter;
  private readonly bytes: SlidingWindowLimiter;
  private readonly signal = new Signal();
  private readonly envelope: number;
  private readonly headroom: { publishes: number; bytes: number };
  private readonly bundleBytes: number;
  private staged: Record<LaneName, OutgoingMessage | null> = { alerts: null, telemetry: null };
  private inflight = 0;
  /** Bumped on every rewind so acknowledgements of an abandoned round are ignored. */
  private epoch = 0;
  private failures = 0;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly confirmations: Confirmations;
  private readonly confirmTimeoutMs: number;
  private lastResendPassAt = Number.NEGATIVE_INFINITY;
  private readonly counters: Omit<DeliveryStats, 'inflight' | 'unconfirmed'> = {
    deliveredMessages: 0,
    deliveredAlerts: 0,
    deliveredBatches: 0,
    deliveredReadings: 0,
    publishedBytes: 0,
    failedPublishes: 0,
    lastError: null,
    storedAcks: 0,
    rejectedStoredAcks: 0,
    lastRejectedStoredAck: null,
  };

  constructor(private readonly options: DeliveryOptions) {
    this.scheduler = options.scheduler ?? realScheduler;
    const now = () => this.scheduler.now();
    this.publishes = new SlidingWindowLimiter(options.maxPublishesPerSecond, now);
    this.bytes = new SlidingWindowLimiter(options.maxBytesPerSecond, now);
    this.envelope = bundleEnvelopeBytes(options.towerId);
    this.headroom = alertHeadroom(options);
    this.bundleBytes = bundleBytes(options);
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 0;
    this.confirmations = new Confirmations(this.confirmTimeoutMs, (records) =>
      options.buffer.telemetryLane.ack(records),
    );
  }

  start(): void {
    if (this.running) return;
    const { buffer, transport } = this.options;
    const wake = () => this.signal.notify();
    this.unsubscribe.push(
      buffer.alerts.onData(wake),
      buffer.telemetryLane.onData(wake),
      transport.onConnectionChange((connected) => {
        if (!connected) this.rewind();
        wake();
      }),
    );
    // Kept by the transport across reconnects; a failure now is retried on the next connect.
    transport
      .subscribe(storedAckTopic(this.options.towerId), ({ payload }) => this.onStoredAck(payload))
      .catch((e: Error) => {
        this.counters.lastError = `subscribe ${storedAckTopic(this.options.towerId)}: ${e.message}`;
      });
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    this.signal.notify();
    await this.running;
    this.running = null;
  }

  stats(): DeliveryStats {
    return { ...this.counters, inflight: this.inflight, unconfirmed: this.confirmations.stats() };
  }

  private onStoredAck(payload: Buffer): void {
    if (this.stopped) return;
    const parsed = parseStoredAck(payload, this.options.towerId);
    if (!parsed.ok) {
      this.counters.rejectedStoredAcks++;
      this.counters.lastRejectedStoredAck = parsed.problem;
      return;
    }
    this.counters.storedAcks++;
    if (this.confirmations.stored(parsed.ack.ranges) > 0) this.signal.notify();
  }

  /**
   * Sends a message that is not buffered (the periodic status) when connected, within the same rate
   * limits. Returns false when it could not be sent now.
   */
  async publishUnbuffered(topic: string, payload: Buffer | string): Promise<boolean> {
    if (!this.options.transport.connected) return false;
    const size = Buffer.byteLength(payload);
    this.publishes.take(1);
    this.bytes.take(size);
    try {
      await this.options.transport.publish(topic, payload);
      this.counters.publishedBytes += size;
      return true;
    } catch {
      return false;
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (!this.options.transport.connected || this.inflight >= this.options.maxInflight) {
        await this.signal.wait();
        continue;
      }
      const now = this.scheduler.now();
      if ((this.nudgeAt() ?? Number.POSITIVE_INFINITY) <= now) {
        this.confirmations.nudge();
        this.startResendPass();
      } else if ((this.nextResendPassAt() ?? Number.POSITIVE_INFINITY) <= now) this.startResendPass();
      const message = await this.nextMessage();
      if (!message) {
        await this.idle();
        continue;
      }
      const reserve = message.lane === 'alerts' ? { publishes: 0, bytes: 0 } : this.headroom;
      const delay = Math.max(
        this.publishes.delayMs(1, reserve.publishes),
        this.bytes.delayMs(message.payload.length, reserve.bytes),
      );
      if (delay > 0) {
        // An alert stored meanwhile wakes the loop and goes ahead of a staged telemetry bundle.
        const wake = new AbortController();
        await Promise.race([this.scheduler.sleep(delay, wake.signal), this.signal.wait()]);
        wake.abort();
        continue;
      }
      this.staged[message.lane] = null;
      this.send(message);
    }
  }

  /** Waits for something to send, or until an unconfirmed batch is due to be sent again. */
  private async idle(): Promise<void> {
    const times = [this.nextResendPassAt(), this.nudgeAt()].filter((t): t is number => t !== null);
    if (times.length === 0) return this.signal.wait();
    const resendAt = Math.min(...times);
    const wake = new AbortController();
    await Promise.race([
      this.scheduler.sleep(Math.max(0, resendAt - this.scheduler.now()), wake.signal),
      this.signal.wait(),
    ]);
    wake.abort();
  }

  private nudgeAt(): number | null {
    // A timeout shorter than the quiet spell sends everything again sooner anyway.
    if (this.confirmTimeoutMs <= NUDGE_AFTER_MS) return null;
    return this.confirmations.nudgeAt(NUDGE_AFTER_MS);
  }

  private nextResendPassAt(): number | null {
    const due = this.confirmations.dueAt();
    if (due === null) return null;
    return Math.max(due, this.lastResendPassAt + this.confirmTimeoutMs * RESEND_PASS_SHARE);
  }

  /**
   * The lane hands out again everything from its first unacknowledged record; the confirmations pick
   * the due ones. Publishes in flight and the staged bundle stay as they are.
   */
  private startResendPass(): void {
    this.lastResendPassAt = this.scheduler.now();
    this.confirmations.rewound();
    this.options.buffer.telemetryLane.rewind();
  }

  /** The staged or next alert, else the staged or next telemetry message. */
  private async nextMessage(): Promise<OutgoingMessage | null> {
    const { alerts, telemetryLane } = this.options.buffer;
    for (const [name, lane] of [
      ['alerts', alerts],
      ['telemetry', telemetryLane],
    ] as const) {
      if (this.staged[name]) return this.staged[name];
      if (!lane.hasUnread) {
        if (name === 'telemetry') this.confirmations.exhausted();
        continue;
      }
      const message = await this.take(name, lane);
      if (message) {
        this.staged[name] = message;
        return message;
      }
    }
    return null;
  }

  private async take(name: LaneName, lane: DeliveryLane): Promise<OutgoingMessage | null> {
    const epoch = this.epoch;
    let records: StoredRecord[] = [];
    // After a rewind the lane hands out records that are in flight or wait for their stored
    // acknowledgement; read on until something is to be sent.
    while (records.length === 0 && lane.hasUnread) {
      const taken =
        name === 'alerts'
          ? await lane.take(1, Number.MAX_SAFE_INTEGER)
          : await lane.take(MAX_BATCHES_PER_BUNDLE, this.bundleBytes - this.envelope);
      // A rewind while reading hands these records out again; drop this copy.
      if (epoch !== this.epoch || taken.length === 0) return null;
      records = name === 'alerts' ? taken : this.confirmations.admit(taken, this.scheduler.now());
    }
    if (records.length === 0) return null;
    return buildMessage(this.options.towerId, name, records, this.scheduler.now());
  }

  private send(message: OutgoingMessage): void {
    const epoch = this.epoch;
    this.publishes.take(1);
    this.bytes.take(message.payload.length);
    this.inflight++;
    this.options.transport.publish(message.topic, message.payload).then(
      () => {
        if (epoch !== this.epoch) return;
        this.inflight--;
        this.failures = 0;
        if (message.lane === 'alerts') this.options.buffer.alerts.ack(message.records);
        else this.confirmations.delivered(message.records, this.scheduler.now());
        const c = this.counters;
        c.deliveredMessages++;
        c.publishedBytes += message.payload.length;
        if (message.lane === 'alerts') c.deliveredAlerts++;
        else {
          c.deliveredBatches += message.records.length;
          c.deliveredReadings += message.readings;
        }
        this.signal.notify();
      },
      (e: Error) => {
        this.counters.failedPublishes++;
        this.counters.lastError = e.message;
        if (epoch !== this.epoch) return;
        this.rewind();
        if (this.options.transport.connected) void this.pauseAfterFailure();
        else this.signal.notify();
      },
    );
  }

  /** Everything not PUBACK'd is handed out again, in order. */
  private rewind(): void {
    this.epoch++;
    this.inflight = 0;
    this.staged = { alerts: null, telemetry: null };
    this.confirmations.abandon();
    this.options.buffer.alerts.rewind();
    this.options.buffer.telemetryLane.rewind();
  }

  private async pauseAfterFailure(): Promise<void> {
    const epoch = this.epoch;
    // Holding inflight at the limit parks the loop until the pause is over.
    this.inflight = this.options.maxInflight;
    await this.scheduler.sleep(backoffDelayMs(this.failures++, this.options.retryBackoff ?? DEFAULT_BACKOFF));
    if (epoch === this.epoch) this.inflight = 0;
    this.signal.notify();
  }
}
