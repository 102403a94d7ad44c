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
export { mergeRules, resolveRules, ruleEnabled } from './rules.js';
export {
  type CoolingRule,
  CoolingRuleSchema,
  type DetectorSnapshot,
  DetectorSnapshotSchema,
  type OpenIncident,
  OpenIncidentSchema,
  type ResumeContext,
  ResumeContextSchema,
  SensorRuleSchema,
} from './snapshot.js';
export { debouncedLevel, INITIAL_TRACKER, stepTracker } from './tracker.js';
export type {
  Evaluation,
  Level,
  Sample,
  SensorPresence,
  SensorRule,
  TrackerOptions,
  TrackerState,
  Transition,
} from './types.js';
