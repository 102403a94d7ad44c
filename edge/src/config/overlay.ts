import type { ConfigShadowState } from '../../../protocol/index.js';
import { mergeRules } from '../detect/index.js';

function mergeRecord<T>(
  base: Record<string, T> | undefined,
  over: Record<string, T> | undefined,
  merge: (a: T, b: T) => T,
): Record<string, T> | undefined {
  if (!base) return over;
  if (!over) return base;
  const out: Record<string, T> = { ...base };
  for (const [key, value] of Object.entries(over))
    out[key] = out[key] === undefined ? value : merge(out[key], value);
  return out;
}

/** The component's tunable section with the shadow's desired overrides on top, field by field. */
export function overlayTunable(base: ConfigShadowState, overlay: ConfigShadowState): ConfigShadowState {
  const out: ConfigShadowState = { ...base, ...overlay };
  const rules = mergeRecord(base.rules, overlay.rules, (a, b) => mergeRules(a, b));
  const sensorRules = mergeRecord(base.sensorRules, overlay.sensorRules, (a, b) => mergeRules(a, b));
  const sensors = mergeRecord(base.sensors, overlay.sensors, (a, b) => ({ ...a, ...b }));
  if (rules) out.rules = rules;
  if (sensorRules) out.sensorRules = sensorRules;
  if (sensors) out.sensors = sensors;
  if (base.batching || overlay.batching) out.batching = { ...base.batching, ...overlay.batching };
  return out;
}

/**
 * What to send as `reported` so it equals `next`: shadow updates merge, so every key that was
 * reported before and is gone now must be sent as null to be deleted.
 */
export function reportedPatch(previous: unknown, next: unknown): unknown {
  if (!isObject(next)) return next;
  const out: Record<string, unknown> = {};
  if (isObject(previous)) {
    for (const key of Object.keys(previous)) if (!(key in next)) out[key] = null;
  }
  for (const [key, value] of Object.entries(next)) {
    out[key] = isObject(previous) ? reportedPatch(previous[key], value) : value;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
