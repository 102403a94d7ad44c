import type { DetectionRules, Severity } from '../../../protocol/index.js';
import type { Evaluation, Level } from './types.js';

type Limits = NonNullable<DetectionRules['high']>;

const NONE: Evaluation = { level: 0, value: null, threshold: null };

/**
 * High or low limit with warning/critical levels and hysteresis: a level already raised holds until
 * the value is back inside its limit by `hysteresis`, so a value hovering at the limit does not flap.
 */
export function thresholdLevel(
  value: number,
  limits: Limits | undefined,
  direction: 'high' | 'low',
  hysteresis: number,
  active: Level,
): Evaluation {
  if (!limits) return NONE;
  const beyond = (limit: number | undefined, level: Level): boolean => {
    if (limit === undefined) return false;
    const band = active >= level ? hysteresis : 0;
    return direction === 'high' ? value > limit - band : value < limit + band;
  };
  if (beyond(limits.critical, 2)) return { level: 2, value, threshold: limits.critical! };
  if (beyond(limits.warning, 1)) return { level: 1, value, threshold: limits.warning! };
  return { level: 0, value, threshold: limits.warning ?? limits.critical ?? null };
}

export interface RateWindow {
  times: readonly number[];
  values: readonly number[];
}

export const EMPTY_RATE_WINDOW: RateWindow = { times: [], values: [] };

/** Change within the last `windowMs` (max − min of the samples in it), either direction. */
export function rateOfChange(
  window: RateWindow,
  time: number,
  value: number,
  rule: NonNullable<DetectionRules['rateOfChange']>,
): { window: RateWindow; evaluation: Evaluation } {
  let start = 0;
  while (start < window.times.length && window.times[start]! < time - rule.windowMs) start++;
  const times = [...window.times.slice(start), time];
  const values = [...window.values.slice(start), value];
  let min = value;
  let max = value;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const delta = round(max - min);
  const severity: Severity = rule.severity ?? 'warning';
  const level: Level = delta > rule.maxDelta ? (severity === 'critical' ? 2 : 1) : 0;
  return {
    window: { times, values },
    evaluation: { level, value: delta, threshold: rule.maxDelta, severity },
  };
}

export interface FlatLineState {
  anchor: number | null;
  since: number;
}

export const INITIAL_FLAT_LINE: FlatLineState = { anchor: null, since: 0 };

/** Raised when the value has stayed within `epsilon` of where it was for `windowMs` (a stuck sensor). */
export function flatLine(
  state: FlatLineState,
  time: number,
  value: number,
  rule: NonNullable<DetectionRules['flatLine']>,
): { state: FlatLineState; evaluation: Evaluation } {
  const epsilon = rule.epsilon ?? 0;
  const next =
    state.anchor === null || round(Math.abs(value - state.anchor)) > epsilon
      ? { anchor: value, since: time }
      : state;
  const level: Level = time - next.since >= rule.windowMs ? 1 : 0;
  return { state: next, evaluation: { level, value, threshold: rule.windowMs } };
}

/** Raised when no good reading arrived for `offlineAfterMs`. */
export function offline(lastGoodTime: number, time: number, offlineAfterMs: number | undefined): Evaluation {
  if (offlineAfterMs === undefined) return NONE;
  const silentMs = time - lastGoodTime;
  return { level: silentMs >= offlineAfterMs ? 1 : 0, value: silentMs, threshold: offlineAfterMs };
}

/** Raised after `faultAfter` failed reads in a row; cleared by the next good read. */
export function fault(consecutiveFailures: number, faultAfter: number | undefined): Evaluation {
  if (faultAfter === undefined) return NONE;
  return {
    level: consecutiveFailures >= faultAfter ? 1 : 0,
    value: consecutiveFailures,
    threshold: faultAfter,
  };
}

/** Differences of decimal readings carry float noise (25.3 − 20.1 = 5.199999…); compare at reading resolution. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
