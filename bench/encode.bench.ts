import { billedUnits, encodeMessage, packReadings, type Reading } from '../protocol/index.js';
import type { BenchResult } from './lib/types.js';

/** An 8-sensor tower sampled at 1 Hz, values at the resolution real sensors report. */
function towerReadings(seconds: number): Reading[] {
  const sensors = [
    ['temp-cabinet', 24, 0.01],
    ['temp-ambient', 18, 0.01],
    ['rh-cabinet', 45, 0.1],
    ['voltage-dc', 53.6, 0.001],
    ['current-dc', 12.4, 0.001],
    ['power-rect', 664, 1],
    ['door-main', 0, 1],
    ['vibration-mast', 0.02, 0.001],
  ] as const;
  const t0 = Date.UTC(2026, 10, 23);
  const out: Reading[] = [];
  for (let s = 0; s < seconds; s++) {
    for (const [id, base, step] of sensors) {
      const noise = Math.sin(s * 0.37 + base) * base * 0.02;
      out.push({ sensorId: id, time: t0 + s * 1000, value: Math.round((base + noise) / step) * step });
    }
  }
  return out.map((r) => ({ ...r, value: Number((r.value as number).toFixed(3)) }));
}

export async function run(): Promise<BenchResult> {
  const readings = towerReadings(3600);
  const batches = packReadings(readings, { towerId: 'tower-0001', firstSeq: 1_000_000, sentAt: Date.now() });
  const units = batches.reduce((n, b) => n + encodeMessage(b).billedUnits, 0);
  const perUnit = readings.length / units;
  const naiveUnits = readings.reduce(
    (n, r) => n + billedUnits(Buffer.byteLength(JSON.stringify({ towerId: 'tower-0001', ...r }))),
    0,
  );

  const rounds = 20;
  const started = process.hrtime.bigint();
  let encoded = 0;
  for (let i = 0; i < rounds; i++) {
    for (const b of packReadings(readings, { towerId: 'tower-0001', firstSeq: i, sentAt: Date.now() })) {
      encoded += encodeMessage(b).bytes > 0 ? b.readings.length : 0;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    name: 'encode',
    metrics: {
      readingsPerBilledUnit: { value: perUnit, unit: 'readings/5KB', target: 100, better: 'higher' },
      encodePerSec: { value: encoded / seconds, unit: 'readings/s', better: 'higher' },
      vsOneMessagePerReading: { value: naiveUnits / units, unit: 'x fewer units', better: 'higher' },
    },
    notes: [
      `${readings.length} readings of an 8-sensor tower → ${batches.length} batches, ${units} billed units`,
      `one message per reading (tutorial design) would bill ${naiveUnits} units`,
    ],
  };
}
