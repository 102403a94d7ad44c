import { deviceTopic, encodeStatus } from '../../../protocol/index.js';
import type { DurableBuffer } from '../buffer/index.js';
import { buildStatus, type Delivery } from '../delivery/index.js';
import type { TowerMonitor } from '../monitor/index.js';
import type { Clock } from '../ports.js';
import type { Transport } from '../transport/index.js';

export const DEFAULT_STATUS_INTERVAL_MS = 60_000;

/**
 * Publishes the `status` message (buffer depth, unconfirmed telemetry, drops, connectivity) on an interval and right after
 * each (re)connect. Status is a snapshot, not history: it is not buffered, a missed one is superseded.
 */
export class StatusReporter {
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt: number;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly deps: {
      towerId: string;
      buffer: DurableBuffer;
      delivery: Delivery;
      transport: Transport;
      monitor: () => TowerMonitor | undefined;
      clock: Clock;
    },
  ) {
    this.startedAt = deps.clock.now();
  }

  start(): void {
    this.unsubscribe = this.deps.transport.onConnectionChange((up) => {
      if (up) void this.publish();
    });
    this.schedule();
  }

  private schedule(): void {
    const interval =
      this.deps.monitor()?.effectiveConfig().tunable.statusIntervalMs ?? DEFAULT_STATUS_INTERVAL_MS;
    this.timer = setTimeout(() => {
      void this.publish();
      this.schedule();
    }, interval);
    this.timer.unref();
  }

  snapshot() {
    const { towerId, buffer, transport, clock } = this.deps;
    const status = buildStatus({
      towerId,
      now: clock.now(),
      startedAt: this.startedAt,
      buffer: buffer.stats(),
      connection: transport.stats(),
      unconfirmed: this.deps.delivery.stats().unconfirmed,
    });
    const monitor = this.deps.monitor();
    if (monitor) {
      const stats = monitor.stats();
      const sensors = Object.values(stats.perSensor);
      status.sensors = {
        ok: sensors.filter((s) => s.consecutiveFailures === 0).length,
        failing: sensors.filter((s) => s.consecutiveFailures > 0).length,
      };
      if (stats.appliedShadowVersion !== null) status.configVersion = stats.appliedShadowVersion;
    }
    return status;
  }

  async publish(): Promise<boolean> {
    const { payload } = encodeStatus(this.snapshot());
    return this.deps.delivery.publishUnbuffered(deviceTopic(this.deps.towerId, 'status'), payload);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
  }
}
