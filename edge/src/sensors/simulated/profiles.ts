import type { SIMULATED_PROFILES } from '../../../../protocol/index.js';
import { noise, unit } from './noise.js';

export type SimulatedProfile = (typeof SIMULATED_PROFILES)[number];

const DAY_MS = 86_400_000;

/** Resolution each profile reports at, like the real sensor it stands for. */
export const PROFILE_RESOLUTION: Record<SimulatedProfile, number> = {
  temperature: 0.01,
  humidity: 0.1,
  voltage: 0.001,
  door: 1,
  vibration: 0.001,
};

/** Daily cycle in [-1, 1]: coldest around 03:00 UTC, warmest around 15:00. */
function daily(time: number): number {
  const dayFraction = (time % DAY_MS) / DAY_MS;
  return -Math.cos(2 * Math.PI * (dayFraction - 0.125));
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}

export function quantise(value: number, profile: SimulatedProfile): number {
  const step = PROFILE_RESOLUTION[profile];
  return Number((Math.round(value / step) * step).toFixed(3));
}

/**
 * The normal signal of a profile at `time`, a pure function of (seed, time): the same seed gives
 * the same tower, whatever the sampling interval or restarts.
 */
export function normalValue(profile: SimulatedProfile, seed: number, time: number): number {
  const second = Math.floor(time / 1000);
  const n = noise(seed, second);
  const offset = noise(seed, -1) * 2;
  switch (profile) {
    case 'temperature':
      return quantise(clamp(25 + offset + 7 * daily(time) + 0.3 * n, 15, 35), profile);
    case 'humidity':
      return quantise(clamp(50 + 2 * offset - 18 * daily(time) + 1.5 * n, 20, 80), profile);
    case 'voltage':
      return quantise(53.6 + 0.1 * Math.sin(time / 600_000 + offset) + 0.02 * n, profile);
    case 'door': {
      // Some days a technician visits: the door stands open for 10-40 minutes at a seed-chosen hour.
      const day = Math.floor(time / DAY_MS);
      if (unit(seed, day) >= 0.2) return 0;
      const openAt = day * DAY_MS + Math.floor(unit(seed, day + 1) * 20 + 2) * 3_600_000;
      const openFor = (10 + unit(seed, day + 2) * 30) * 60_000;
      return time >= openAt && time < openAt + openFor ? 1 : 0;
    }
    case 'vibration':
      return quantise(
        0.02 + 0.01 * Math.abs(n) + 0.02 * Math.max(0, Math.sin(time / 90_000 + offset)),
        profile,
      );
  }
}

/** Where a spike goes by default: past the critical limit of the profile's default rules. */
export function spikeValue(profile: SimulatedProfile, seed: number, time: number): number {
  const u = unit(seed, Math.floor(time / 1000) + 7);
  switch (profile) {
    case 'temperature':
      return quantise(46 + 14 * u, profile);
    case 'humidity':
      return quantise(92 + 7 * u, profile);
    case 'voltage':
      return quantise(40 + 3 * u, profile);
    case 'door':
      return 1;
    case 'vibration':
      return quantise(1.2 + 0.8 * u, profile);
  }
}

/** Default ramp per minute: faster than the default rate-of-change limit (5 °C / 60 s) of temperature. */
export const RAMP_PER_MINUTE: Record<SimulatedProfile, number> = {
  temperature: 10,
  humidity: 15,
  voltage: -4,
  door: 1,
  vibration: 0.5,
};
