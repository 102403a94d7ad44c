import type { Anomaly } from '../../edge/src/sensors/simulated/simulator.js';
import type { LocalFleet } from './fleet.js';

export interface ScheduledAnomaly {
  /** Offset from the start of each round (ms). */
  atMs: number;
  /** Index into the fleet's towers (wraps around, shifted each round). */
  tower: number;
  sensorId: string;
  anomaly: Anomaly;
  describe: string;
}

/** The demo's trouble: a spike and a fast ramp in the first minute, then read failures; repeated on other towers. */
export const DEMO_ANOMALIES: readonly ScheduledAnomaly[] = [
  {
    atMs: 15_000,
    tower: 0,
    sensorId: 'temp-cabinet',
    anomaly: { kind: 'spike', value: 52, durationMs: 30_000 },
    describe: 'cabinet temperature spike to 52 °C',
  },
  {
    atMs: 30_000,
    tower: 1,
    sensorId: 'temp-ambient',
    anomaly: { kind: 'ramp', perMinute: 12, durationMs: 60_000 },
    describe: 'ambient temperature ramp of 12 °C/min',
  },
  {
    atMs: 45_000,
    tower: 2,
    sensorId: 'voltage-dc',
    anomaly: { kind: 'fail', durationMs: 20_000 },
    describe: 'supply voltage sensor read failures',
  },
];

export const ROUND_MS = 120_000;

/** Injects the schedule round after round, moving to the next towers each round. Returns a stop function. */
export function scheduleAnomalies(
  fleet: LocalFleet,
  log: (line: string) => void,
  schedule: readonly ScheduledAnomaly[] = DEMO_ANOMALIES,
): () => void {
  const timers: NodeJS.Timeout[] = [];
  // Start at a random tower: a resumed run would otherwise repeat the last run's alerts on the same
  // towers, inside the notifier's suppression window, and show them raised but not notified.
  let round = Math.floor(Math.random() * fleet.ids.length);
  const runRound = () => {
    const shift = round * schedule.length;
    for (const item of schedule) {
      timers.push(
        setTimeout(() => {
          const towerId = fleet.ids[(item.tower + shift) % fleet.ids.length]!;
          const simulator = fleet.get(towerId)?.monitor.simulator;
          if (!simulator?.sensorIds.includes(item.sensorId)) return;
          simulator.inject(item.sensorId, item.anomaly);
          log(`injected on ${towerId}: ${item.describe}`);
        }, item.atMs),
      );
    }
    round++;
  };
  runRound();
  const interval = setInterval(runRound, ROUND_MS);
  return () => {
    clearInterval(interval);
    for (const t of timers) clearTimeout(t);
  };
}
