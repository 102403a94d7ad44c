import type { Level, TrackerOptions, TrackerState, Transition } from './types.js';

export const INITIAL_TRACKER: TrackerState = { active: 0, raisedAt: null, clearedAt: null, history: [] };

/** Highest level reached by at least k of the samples in the window, else 0. */
export function debouncedLevel(history: readonly Level[], k: number): Level {
  let atLeastCritical = 0;
  let atLeastWarning = 0;
  for (const level of history) {
    if (level >= 2) atLeastCritical++;
    if (level >= 1) atLeastWarning++;
  }
  if (atLeastCritical >= k) return 2;
  if (atLeastWarning >= k) return 1;
  return 0;
}

/**
 * The alert state machine of one (sensor, rule), pure: raise once when k of the last n samples
 * breach, clear once when they no longer do, and stay quiet for `cooldownMs` after a clear so a
 * noisy signal cannot produce an alert storm. A change of level (warning ↔ critical) closes the
 * open incident and opens a new one at the same instant, so raises and clears always alternate.
 */
export function stepTracker(
  state: TrackerState,
  level: Level,
  time: number,
  options: TrackerOptions,
): { state: TrackerState; transitions: Transition[] } {
  const history = [...state.history, level].slice(-options.n);
  const target = debouncedLevel(history, options.k);
  if (target === state.active) return { state: { ...state, history }, transitions: [] };

  const transitions: Transition[] = [];
  let next: TrackerState = { ...state, history };
  if (state.active !== 0) {
    transitions.push({ state: 'clear', level: state.active, raisedAt: state.raisedAt ?? time });
    next = { ...next, active: 0, raisedAt: null, clearedAt: time };
  }
  const coolingDown =
    state.active === 0 && state.clearedAt !== null && time - state.clearedAt < options.cooldownMs;
  if (target !== 0 && !coolingDown) {
    transitions.push({ state: 'raise', level: target, raisedAt: time });
    next = { ...next, active: target, raisedAt: time };
  }
  return { state: next, transitions };
}
