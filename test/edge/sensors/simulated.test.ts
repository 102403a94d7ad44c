import { describe, expect, it } from 'vitest';
import { EdgeConfigSchema, SimulatedSensorSchema } from '../../../protocol/index.js';
import type { Clock } from '../../../edge/src/ports.js';
import { SensorReadError, Simulator, simulatedTowerConfig } from '../../../edge/src/sensors/index.js';

const DAY = Date.UTC(2026, 10, 23);

function manualClock(start = DAY): Clock & { t: number } {
  return {
    t: start,
    now() {
      return this.t;
    },
  };
}

function sensor(
  profile: 'temperature' | 'humidity' | 'voltage' | 'door' | 'vibration',
  seed = 7,
  id = `s-${profile}`,
) {
  return SimulatedSensorSchema.parse({ id, kind: profile, source: 'simulated', profile, seed });
}

async function series(
  sim: Simulator,
  clock: Clock & { t: number },
  id: string,
  from: number,
  count: number,
  stepMs: number,
) {
  const source = sim.source(sensor('temperature', 7, id));
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    clock.t = from + i * stepMs;
    out.push(await source.read());
  }
  return out;
}

describe('simulated sensors', () => {
  it('are deterministic from the seed and differ between seeds', async () => {
    const a = new Simulator(manualClock());
    const b = new Simulator(manualClock());
    const c1 = manualClock();
    const c2 = manualClock();
    const s1 = await series(new Simulator(c1), c1, 'temp-x', DAY, 50, 1000);
    const s2 = await series(new Simulator(c2), c2, 'temp-x', DAY, 50, 1000);
    expect(s1).toEqual(s2);
    const x = a.source(sensor('humidity', 1));
    const y = b.source(sensor('humidity', 2));
    expect(x.normalAt(DAY + 5000)).not.toBe(y.normalAt(DAY + 5000));
  });

  it('keeps every profile in its normal range over a day, temperature with a daily cycle', () => {
    const sim = new Simulator(manualClock());
    const ranges = {
      temperature: [15, 35],
      humidity: [20, 80],
      voltage: [53, 54.2],
      door: [0, 1],
      vibration: [0, 0.1],
    } as const;
    for (const [profile, [min, max]] of Object.entries(ranges)) {
      const source = sim.source(sensor(profile as keyof typeof ranges));
      const values = Array.from({ length: 24 * 60 }, (_, m) => source.normalAt(DAY + m * 60_000));
      expect(Math.min(...values)).toBeGreaterThanOrEqual(min);
      expect(Math.max(...values)).toBeLessThanOrEqual(max);
    }
    const temp = sim.source(sensor('temperature'));
    expect(temp.normalAt(DAY + 15 * 3_600_000) - temp.normalAt(DAY + 3 * 3_600_000)).toBeGreaterThan(8);
  });

  it('injects a spike to 46-60 °C for its duration', async () => {
    const clock = manualClock();
    const sim = new Simulator(clock);
    const source = sim.source(sensor('temperature'));
    sim.inject(source.id, { kind: 'spike', durationMs: 10_000 });
    const v = await source.read();
    expect(v).toBeGreaterThanOrEqual(46);
    expect(v).toBeLessThanOrEqual(60);
    clock.t += 10_000;
    expect(await source.read()).toBeLessThan(35);
    expect(sim.active()).toEqual([]);
  });

  it('ramps faster than the rate-of-change limit', async () => {
    const clock = manualClock();
    const sim = new Simulator(clock);
    const source = sim.source(sensor('temperature'));
    sim.inject(source.id, { kind: 'ramp' });
    const start = await source.read();
    clock.t += 60_000;
    expect((await source.read()) - start).toBeGreaterThan(5);
  });

  it('holds a stuck value and fails or drops out on demand', async () => {
    const clock = manualClock();
    const sim = new Simulator(clock);
    const source = sim.source(sensor('temperature'));
    sim.inject(source.id, { kind: 'stuck' });
    const held = await source.read();
    clock.t += 6 * 3_600_000;
    expect(await source.read()).toBe(held);

    sim.inject(source.id, { kind: 'fail', message: 'bus error' });
    await expect(source.read()).rejects.toThrow(SensorReadError);
    await expect(source.read()).rejects.toThrow(/bus error/);

    sim.inject(source.id, { kind: 'dropout' });
    const abort = new AbortController();
    const pending = source.read(abort.signal);
    abort.abort();
    await expect(pending).rejects.toThrow(/dropout/);

    sim.clear(source.id);
    expect(await source.read()).toBe(source.normalAt(clock.t));
  });

  it('refuses to inject into an unknown sensor, naming the known ones', () => {
    const sim = new Simulator(manualClock());
    sim.source(sensor('door', 1, 'door-main'));
    expect(() => sim.inject('nope', { kind: 'spike' })).toThrow(
      /no simulated sensor nope \(have door-main\)/,
    );
  });
});

describe('simulatedTowerConfig', () => {
  it('describes a typical 8-sensor tower that validates', () => {
    const sensors = simulatedTowerConfig('tower-0001', { sensors: 8, seed: 3, intervalMs: 2000 });
    expect(sensors.map((s) => s.id)).toEqual([
      'temp-cabinet',
      'temp-ambient',
      'rh-cabinet',
      'voltage-dc',
      'door-main',
      'vibration-mast',
      'temp-battery',
      'rh-ambient',
    ]);
    expect(new Set(sensors.map((s) => s.kind))).toEqual(
      new Set(['temperature', 'humidity', 'voltage', 'door', 'vibration']),
    );
    expect(sensors.every((s) => s.intervalMs === 2000)).toBe(true);
    expect(EdgeConfigSchema.parse({ towerId: 'tower-0001', sensors }).sensors).toHaveLength(8);
  });

  it('repeats the set with unique ids beyond 8 and gives each tower its own signal', () => {
    const ids = simulatedTowerConfig('t', { sensors: 20 }).map((s) => s.id);
    expect(new Set(ids).size).toBe(20);
    expect(ids[8]).toBe('temp-cabinet-2');
    expect(simulatedTowerConfig('tower-a')[0]!.seed).not.toBe(simulatedTowerConfig('tower-b')[0]!.seed);
    expect(simulatedTowerConfig('tower-a')).toEqual(simulatedTowerConfig('tower-a'));
  });
});
