export { type ActiveAlert, Detector, type DetectorOptions } from './engine.js';
export {
  EMPTY_RATE_WINDOW,
  type FlatLineState,
  fault,
  flatLine,
  INITIAL_FLAT_LINE,
  offline,
  type RateWindow,
  rateOfChange,
  thresholdLevel,
} from './levels.js';
export { mergeRules, resolveRules } from './rules.js';
export { debouncedLevel, INITIAL_TRACKER, stepTracker } from './tracker.js';
export type {
  Evaluation,
  Level,
  Sample,
  SensorRule,
  TrackerOptions,
  TrackerState,
  Transition,
} from './types.js';
