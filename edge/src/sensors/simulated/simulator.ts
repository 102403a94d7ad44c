import type { SensorKind, SimulatedSensor } from '../../../../protocol/index.js';
import type { Clock } from '../../ports.js';
import { SensorReadError } from '../errors.js';
import type { SensorSource } from '../types.js';
import { seedOf } from './noise.js';
import { normalValue, quantise, RAMP_PER_MINUTE, type SimulatedProfile, spikeValue } from './profiles.js';

/** Trouble the demo and the tests inject into a simulated sensor. Without `durationMs` it lasts until cleared. */
export type Anomaly =
  | { kind: 'spike'; value?: number; durationMs?: number }
  | { kind: 'ramp'; perMinute?: number; durationMs?: number }
  | { kind: 'stuck'; durationMs?: number }
  | { kind: 'fail'; message?: string; durationMs?: number }
  | { kind: 'dropout'; durationMs?: number };

export interface ActiveAnomaly {
  sensorId: string;
  anomaly: Anomaly;
  startedAt: number;
  /** The value a stuck sensor repeats. */
  heldValue: number;
}

/** Deterministic simulated sensors of one tower, with anomaly injection. */
export class Simulator {
  private readonly sensors = new Map<string, SimulatedSource>();
  private readonly anomalies = new Map<string, ActiveAnomaly>();

  constructor(private readonly clock: Clock) {}

  source(def: SimulatedSensor): SimulatedSource {
    const source = new SimulatedSource(def, this, this.clock);
    this.sensors.set(def.id, source);
    return source;
  }

  get sensorIds(): string[] {
    return [...this.sensors.keys()];
  }

  /** Starts an anomaly now; replaces any anomaly the sensor already has. */
  inject(sensorId: string, anomaly: Anomaly): void {
    const source = this.sensors.get(sensorId);
    if (!source) {
      throw new RangeError(`no simulated sensor ${sensorId} (have ${this.sensorIds.join(', ') || 'none'})`);
    }
    const now = this.clock.now();
    this.anomalies.set(sensorId, { sensorId, anomaly, startedAt: now, heldValue: source.normalAt(now) });
  }

  /** Ends the anomaly of one sensor, or of all. */
  clear(sensorId?: string): void {
    if (sensorId === undefined) this.anomalies.clear();
    else this.anomalies.delete(sensorId);
  }

  active(): ActiveAnomaly[] {
    const now = this.clock.now();
    return [...this.anomalies.values()].filter((a) => this.current(a.sensorId, now) !== undefined);
  }

  /** The anomaly in force for a sensor at `time`, expiring ones that ran out. */
  current(sensorId: string, time: number): ActiveAnomaly | undefined {
    const a = this.anomalies.get(sensorId);
    if (!a) return undefined;
    if (a.anomaly.durationMs !== undefined && time >= a.startedAt + a.anomaly.durationMs) {
      this.anomalies.delete(sensorId);
      return undefined;
    }
    return a;
  }
}

export class SimulatedSource implements SensorSource {
  readonly id: string;
  readonly kind: SensorKind;
  private readonly seed: number;
  private readonly profile: SimulatedProfile;

  constructor(
    def: SimulatedSensor,
    private readonly simulator: Simulator,
    private readonly clock: Clock,
  ) {
    this.id = def.id;
    this.kind = def.kind;
    this.profile = def.profile;
    this.seed = seedOf(def.id, def.seed);
  }

  normalAt(time: number): number {
    return normalValue(this.profile, this.seed, time);
  }

  read(signal?: AbortSignal): Promise<number> {
    const time = this.clock.now();
    const active = this.simulator.current(this.id, time);
    if (!active) return Promise.resolve(this.normalAt(time));
    const { anomaly, startedAt, heldValue } = active;
    switch (anomaly.kind) {
      case 'spike':
        return Promise.resolve(anomaly.value ?? spikeValue(this.profile, this.seed, startedAt));
      case 'ramp': {
        const perMinute = anomaly.perMinute ?? RAMP_PER_MINUTE[this.profile];
        return Promise.resolve(quantise(heldValue + (perMinute * (time - startedAt)) / 60_000, this.profile));
      }
      case 'stuck':
        return Promise.resolve(heldValue);
      case 'fail':
        return Promise.reject(new SensorReadError(this.id, anomaly.message ?? 'injected read failure'));
      case 'dropout':
        // The sensor stops answering: the read hangs until the sampler's timeout aborts it.
        return new Promise((_, reject) => {
          const fail = () => reject(new SensorReadError(this.id, 'no response (dropout)'));
          if (signal?.aborted) fail();
          else signal?.addEventListener('abort', fail, { once: true });
        });
    }
  }
}
