import {
  type ConfigShadowState,
  DEFAULT_DETECTION_RULES,
  DEFAULT_SENSOR_HEALTH_RULES,
  type DetectionRules,
  type SensorKind,
} from '../../../protocol/index.js';
import type { SensorRule } from './types.js';

/** Later rules override earlier ones field by field; `high`/`low` merge per level so one level can be tuned alone. */
export function mergeRules(...layers: (DetectionRules | undefined)[]): DetectionRules {
  const out: DetectionRules = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer) as [keyof DetectionRules, unknown][]) {
      if (value === undefined) continue;
      if ((key === 'high' || key === 'low') && out[key]) {
        out[key] = { ...out[key], ...(value as DetectionRules['high']) };
      } else {
        (out as Record<string, unknown>)[key] = value;
      }
    }
  }
  return out;
}

/** Effective rules of one sensor: health defaults, then its kind's defaults, then the tunable kind and sensor rules. */
export function resolveRules(sensorId: string, kind: SensorKind, tunable: ConfigShadowState): DetectionRules {
  const kindDefaults = (DEFAULT_DETECTION_RULES as Partial<Record<SensorKind, DetectionRules>>)[kind];
  return mergeRules(
    DEFAULT_SENSOR_HEALTH_RULES,
    kindDefaults,
    tunable.rules?.[kind],
    tunable.sensorRules?.[sensorId],
  );
}

/** Whether the rules still ask for `rule` at all (a restored incident of a rule that is gone is closed at start). */
export function ruleEnabled(rule: SensorRule, rules: DetectionRules): boolean {
  switch (rule) {
    case 'threshold-high':
      return rules.high?.warning !== undefined || rules.high?.critical !== undefined;
    case 'threshold-low':
      return rules.low?.warning !== undefined || rules.low?.critical !== undefined;
    case 'rate-of-change':
      return rules.rateOfChange !== undefined;
    case 'flat-line':
      return rules.flatLine !== undefined;
    case 'sensor-offline':
      return rules.offlineAfterMs !== undefined;
    case 'sensor-fault':
      return rules.faultAfter !== undefined;
  }
}
