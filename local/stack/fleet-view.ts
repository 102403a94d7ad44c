import { GetThingShadowCommand, type IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import {
  type Alert,
  decodeAlert,
  decodeTelemetry,
  expandReadings,
  SHADOW_NAMES,
} from '../../protocol/index.js';
import type { Notification, PipelineCounters, Snapshot, TowerView } from '../status/types.js';

const SPARK_POINTS = 120;
const MAX_NOTIFICATIONS = 100;

/**
 * Readings per second by the readings' own sample times. Batches arrive every few seconds, so
 * counting by arrival would swing between zero and a burst; sample times are spread evenly. The
 * window ends where every active tower has reported (the oldest of their newest sample times), so
 * it counts only complete seconds and shows a rate as soon as the first batches are in.
 */
class SampleRate {
  private readonly buckets = new Map<number, number>();
  private readonly newestByTower = new Map<string, number>();
  constructor(
    private readonly windowS = 30,
    /** A tower whose newest sample is older than this has stopped sending and no longer holds the window back. */
    private readonly activeMs = 60_000,
  ) {}
  add(towerId: string, time: number): void {
    const s = Math.floor(time / 1000);
    this.buckets.set(s, (this.buckets.get(s) ?? 0) + 1);
    if (time > (this.newestByTower.get(towerId) ?? 0)) this.newestByTower.set(towerId, time);
  }
  perSecond(now: number, since: number): number {
    const active = [...this.newestByTower.values()].filter((t) => t >= now - this.activeMs);
    if (active.length === 0) return 0;
    // The second holding the newest sample may still be filling: it ends the window, exclusive.
    const end = Math.floor(Math.min(...active) / 1000);
    const start = Math.max(end - this.windowS, Math.floor(since / 1000));
    if (end <= start) return 0;
    let sum = 0;
    for (const [s, n] of this.buckets) {
      if (s < end - this.windowS - 60) this.buckets.delete(s);
      else if (s >= start && s < end) sum += n;
    }
    return sum / (end - start);
  }
}

/** A rate from a growing total, over the last minute of samples (for totals that move in bursts). */
class TotalRate {
  private readonly samples: { time: number; total: number }[] = [];
  perSecond(now: number, total: number): number {
    this.samples.push({ time: now, total });
    while (this.samples.length > 2 && this.samples[0]!.time < now - 60_000) this.samples.shift();
    const first = this.samples[0]!;
    return now > first.time ? ((total - first.total) * 1000) / (now - first.time) : 0;
  }
}

export interface PipelineProbe {
  readingsStored(): number;
  quarantined(): number;
  alertsSuppressed(): number;
  streamLagMs(): number;
  backlogMessages(): number;
}

/**
 * What the status page and the terminal summary show, assembled from the local IoT Core (device
 * messages and presence), the SNS sink, the consumers' counters and the `config` shadows.
 */
export class FleetView {
  private readonly towers = new Map<string, TowerView>();
  private readonly notifications: Notification[] = [];
  private readonly readingsIn = new SampleRate();
  private readonly readingsStored = new TotalRate();
  private readonly since: number;
  private alertsRaised = 0;
  private alertsNotified = 0;

  constructor(
    towerIds: readonly string[],
    private readonly probe: PipelineProbe,
    private readonly now: () => number = Date.now,
  ) {
    this.since = now();
    for (const towerId of towerIds) {
      this.towers.set(towerId, {
        towerId,
        online: false,
        latest: {},
        spark: {},
        activeAlerts: [],
        config: null,
      });
    }
  }

  private tower(towerId: string): TowerView {
    let t = this.towers.get(towerId);
    if (!t) {
      t = { towerId, online: false, latest: {}, spark: {}, activeAlerts: [], config: null };
      this.towers.set(towerId, t);
    }
    return t;
  }

  setOnline(towerId: string, online: boolean): void {
    this.tower(towerId).online = online;
  }

  /** A device message as the broker accepted it (tapped by a local-only rule). */
  onDeviceMessage(towerId: string, type: string, payload: unknown): void {
    if (type === 'telemetry') {
      const tower = this.tower(towerId);
      for (const batch of decodeTelemetry(payload, true)) {
        for (const r of expandReadings(batch)) {
          this.readingsIn.add(towerId, r.time);
          const prev = tower.latest[r.sensorId];
          if (!prev || prev.time <= r.time) tower.latest[r.sensorId] = { value: r.value, time: r.time };
          if (r.value !== null) {
            const spark = tower.spark[r.sensorId] ?? [];
            tower.spark[r.sensorId] = spark;
            spark.push(r.value);
            if (spark.length > SPARK_POINTS) spark.shift();
          }
        }
      }
    } else if (type === 'alert') {
      this.onAlert(decodeAlert(payload, true));
    }
  }

  private onAlert(alert: Alert): void {
    const tower = this.tower(alert.towerId);
    tower.activeAlerts = tower.activeAlerts.filter((a) => a.alertId !== alert.alertId);
    if (alert.state === 'raise') {
      this.alertsRaised++;
      tower.activeAlerts.push({
        alertId: alert.alertId,
        sensorId: alert.sensorId,
        rule: alert.rule,
        severity: alert.severity,
        value: alert.value,
        since: alert.time,
      });
    }
  }

  onNotification(n: Notification): void {
    this.alertsNotified++;
    this.notifications.push(n);
    if (this.notifications.length > MAX_NOTIFICATIONS) this.notifications.shift();
  }

  /** Reads every tower's `config` shadow through the data plane, as an operator's tool would. */
  async refreshConfig(client: IoTDataPlaneClient): Promise<void> {
    await Promise.all(
      [...this.towers.values()].map(async (tower) => {
        try {
          const out = await client.send(
            new GetThingShadowCommand({ thingName: tower.towerId, shadowName: SHADOW_NAMES.config }),
          );
          const doc = JSON.parse(new TextDecoder().decode(out.payload)) as {
            state?: { desired?: Record<string, unknown>; reported?: Record<string, unknown> };
            version?: number;
          };
          tower.config = {
            desired: doc.state?.desired ?? {},
            reported: doc.state?.reported ?? {},
            version: doc.version ?? 0,
          };
        } catch (e) {
          if ((e as Error).name !== 'ResourceNotFoundException') throw e;
        }
      }),
    );
  }

  counters(): PipelineCounters {
    const now = this.now();
    const stored = this.probe.readingsStored();
    return {
      towersOnline: [...this.towers.values()].filter((t) => t.online).length,
      readingsInPerSec: this.readingsIn.perSecond(now, this.since),
      readingsStoredPerSec: this.readingsStored.perSecond(now, stored),
      readingsStored: stored,
      alertsRaised: this.alertsRaised,
      alertsNotified: this.alertsNotified,
      alertsSuppressed: this.probe.alertsSuppressed(),
      streamLagMs: this.probe.streamLagMs(),
      backlogMessages: this.probe.backlogMessages(),
      quarantined: this.probe.quarantined(),
    };
  }

  snapshot(): Snapshot {
    return {
      time: this.now(),
      counters: this.counters(),
      towers: [...this.towers.values()].sort((a, b) => a.towerId.localeCompare(b.towerId)),
      notifications: [...this.notifications],
    };
  }
}
