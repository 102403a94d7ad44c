import type { SimulatedProfile } from './profiles.js';
import { type SensorKind, type SimulatedSensor, SimulatedSensorSchema } from '../../../../protocol/index.js';
import { hash32, seedOf } from './noise.js';

/** A typical tower, in the order sensors are added: cabinet climate first, then power, access and mast. */
export const TYPICAL_TOWER_SENSORS: readonly { id: string; profile: SimulatedProfile; kind: SensorKind }[] = [
  { id: 'temp-cabinet', profile: 'temperature', kind: 'temperature' },
  { id: 'temp-ambient', profile: 'temperature', kind: 'temperature' },
  { id: 'rh-cabinet', profile: 'humidity', kind: 'humidity' },
  { id: 'voltage-dc', profile: 'voltage', kind: 'voltage' },
  { id: 'door-main', profile: 'door', kind: 'door' },
  { id: 'vibration-mast', profile: 'vibration', kind: 'vibration' },
  { id: 'temp-battery', profile: 'temperature', kind: 'temperature' },
  { id: 'rh-ambient', profile: 'humidity', kind: 'humidity' },
];

export interface SimulatedTowerOptions {
  /** How many sensors; beyond 8 the typical set repeats with a numeric suffix (`temp-cabinet-2`). */
  sensors?: number;
  seed?: number;
  intervalMs?: number;
}

/** The `sensors` section of a simulated tower; each tower id gives a different but reproducible signal. */
export function simulatedTowerConfig(
  towerId: string,
  options: SimulatedTowerOptions = {},
): SimulatedSensor[] {
  const count = options.sensors ?? TYPICAL_TOWER_SENSORS.length;
  const towerSeed = hash32(seedOf(towerId, options.seed ?? 1));
  return Array.from({ length: count }, (_, i) => {
    const template = TYPICAL_TOWER_SENSORS[i % TYPICAL_TOWER_SENSORS.length]!;
    const round = Math.floor(i / TYPICAL_TOWER_SENSORS.length);
    return SimulatedSensorSchema.parse({
      id: round === 0 ? template.id : `${template.id}-${round + 1}`,
      kind: template.kind,
      source: 'simulated',
      profile: template.profile,
      seed: towerSeed | 0,
      intervalMs: options.intervalMs ?? 1000,
    });
  });
}
