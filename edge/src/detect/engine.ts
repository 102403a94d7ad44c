import {
  type Alert,
  type ConfigShadowState,
  type DetectionRules,
  SCHEMA_VERSION,
  type Severity,
  type SensorKind,
} from '../../../protocol/index.js';
import {
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
import { resolveRules } from './rules.js';
import { INITIAL_TRACKER, stepTracker } from './tracker.js';
import type { Evaluation, Sample, SensorRule, TrackerOptions, TrackerState } from './types.js';

/** Health rules react to time and consecutive counts already; debouncing them again only adds delay. */
const UNDEBOUNCED = { k: 1, n: 1 } as const;

interface SensorState {
  kind: SensorKind;
  rules: DetectionRules;
  trackers: Map<SensorRule, TrackerState>;
  /** Severity each open incident was raised with; its clear must carry the same alertId even if rules changed since. */
  openSeverity: Map<SensorRule, Severity>;
  rate: RateWindow;
  flat: FlatLineState;
  lastGoodTime: number;
}

export interface DetectorOptions {
  towerId: string;
  /** The component's tunable section with the shadow overlay applied. */
  tunable?: ConfigShadowState;
}

export interface ActiveAlert {
  sensorId: string;
  rule: SensorRule;
  severity: Severity;
  raisedAt: number;
}

/**
 * Per-tower detection: feeds each sample through every configured rule of its sensor and returns
 * the alert transitions it caused. Time comes only from the samples, so the same samples always
 * give the same alerts.
 */
export class Detector {
  readonly towerId: string;
  private tunable: ConfigShadowState;
  private readonly sensors = new Map<string, SensorState>();

  constructor(options: DetectorOptions) {
    this.towerId = options.towerId;
    this.tunable = options.tunable ?? {};
  }

  /** New rules apply from the next sample; alert state is kept, so an open incident clears under the new limits. */
  setTunable(tunable: ConfigShadowState): void {
    this.tunable = tunable;
    for (const [id, s] of this.sensors) s.rules = resolveRules(id, s.kind, tunable);
  }

  rulesOf(sensorId: string, kind: SensorKind): DetectionRules {
    return this.sensors.get(sensorId)?.rules ?? resolveRules(sensorId, kind, this.tunable);
  }

  evaluate(sample: Sample): Alert[] {
    const s = this.stateOf(sample);
    const { rules } = s;
    const alerts: Alert[] = [];
    const cooldownMs = rules.cooldownMs ?? 0;
    const health: TrackerOptions = { ...UNDEBOUNCED, cooldownMs };
    const debounced: TrackerOptions = { k: rules.debounce?.k ?? 1, n: rules.debounce?.n ?? 1, cooldownMs };

    if (sample.value !== null) s.lastGoodTime = sample.time;
    this.step(s, sample, 'sensor-fault', fault(sample.consecutiveFailures, rules.faultAfter), health, alerts);
    this.step(
      s,
      sample,
      'sensor-offline',
      offline(s.lastGoodTime, sample.time, rules.offlineAfterMs),
      health,
      alerts,
    );
    if (sample.value === null) return alerts;

    const value = sample.value;
    const hysteresis = rules.hysteresis ?? 0;
    for (const [rule, limits, direction] of [
      ['threshold-high', rules.high, 'high'],
      ['threshold-low', rules.low, 'low'],
    ] as const) {
      const active = s.trackers.get(rule)?.active ?? 0;
      this.step(
        s,
        sample,
        rule,
        thresholdLevel(value, limits, direction, hysteresis, active),
        debounced,
        alerts,
      );
    }
    if (rules.rateOfChange) {
      const r = rateOfChange(s.rate, sample.time, value, rules.rateOfChange);
      s.rate = r.window;
      this.step(s, sample, 'rate-of-change', r.evaluation, debounced, alerts);
    } else {
      s.rate = EMPTY_RATE_WINDOW;
      this.step(s, sample, 'rate-of-change', { level: 0, value: null, threshold: null }, debounced, alerts);
    }
    if (rules.flatLine) {
      const f = flatLine(s.flat, sample.time, value, rules.flatLine);
      s.flat = f.state;
      this.step(s, sample, 'flat-line', f.evaluation, health, alerts);
    } else {
      s.flat = INITIAL_FLAT_LINE;
      this.step(s, sample, 'flat-line', { level: 0, value: null, threshold: null }, health, alerts);
    }
    return alerts;
  }

  /** Open incidents, for status reports and for clearing on shutdown decisions. */
  active(): ActiveAlert[] {
    const out: ActiveAlert[] = [];
    for (const [sensorId, s] of this.sensors) {
      for (const [rule, t] of s.trackers) {
        if (t.active !== 0) {
          const severity = s.openSeverity.get(rule) ?? severityOf(rule, t.active, s.rules);
          out.push({ sensorId, rule, severity, raisedAt: t.raisedAt! });
        }
      }
    }
    return out;
  }

  /**
   * Forgets a sensor that was disabled, closing its open incidents so none stays raised forever in
   * the cloud. Returns those clears.
   */
  forget(sensorId: string, time: number, reason = 'sensor disabled'): Alert[] {
    const s = this.sensors.get(sensorId);
    this.sensors.delete(sensorId);
    if (!s) return [];
    const out: Alert[] = [];
    for (const [rule, t] of s.trackers) {
      if (t.active === 0) continue;
      const severity = s.openSeverity.get(rule) ?? severityOf(rule, t.active, s.rules);
      out.push({
        schema: SCHEMA_VERSION,
        towerId: this.towerId,
        alertId: `${sensorId}:${rule}:${severity}:${t.raisedAt}`,
        state: 'clear',
        severity,
        rule,
        sensorId,
        value: null,
        threshold: null,
        time,
        message: `${sensorId} ${rule} cleared: ${reason}`,
      });
    }
    return out;
  }

  private stateOf(sample: Sample): SensorState {
    let s = this.sensors.get(sample.sensorId);
    if (!s || s.kind !== sample.kind) {
      s = {
        kind: sample.kind,
        rules: resolveRules(sample.sensorId, sample.kind, this.tunable),
        trackers: new Map(),
        openSeverity: new Map(),
        rate: EMPTY_RATE_WINDOW,
        flat: INITIAL_FLAT_LINE,
        // A sensor that never answers goes offline counted from its first sample.
        lastGoodTime: sample.time,
      };
      this.sensors.set(sample.sensorId, s);
    }
    return s;
  }

  private step(
    s: SensorState,
    sample: Sample,
    rule: SensorRule,
    evaluation: Evaluation,
    options: TrackerOptions,
    out: Alert[],
  ): void {
    const before = s.trackers.get(rule);
    if (!before && evaluation.level === 0) return;
    const { state, transitions } = stepTracker(
      before ?? INITIAL_TRACKER,
      evaluation.level,
      sample.time,
      options,
    );
    s.trackers.set(rule, state);
    for (const t of transitions) {
      const severity =
        t.state === 'clear'
          ? (s.openSeverity.get(rule) ?? severityOf(rule, t.level, s.rules))
          : (evaluation.severity ?? severityOf(rule, t.level, s.rules));
      if (t.state === 'raise') s.openSeverity.set(rule, severity);
      else s.openSeverity.delete(rule);
      out.push({
        schema: SCHEMA_VERSION,
        towerId: this.towerId,
        alertId: `${sample.sensorId}:${rule}:${severity}:${t.raisedAt}`,
        state: t.state,
        severity,
        rule,
        sensorId: sample.sensorId,
        value: evaluation.value,
        threshold: evaluation.threshold,
        time: sample.time,
        message: describe(rule, t.state, sample, evaluation, severity),
      });
    }
  }
}

function severityOf(rule: SensorRule, level: 1 | 2, rules: DetectionRules): Severity {
  if (rule === 'rate-of-change')
    return rules.rateOfChange?.severity ?? (level === 2 ? 'critical' : 'warning');
  return level === 2 ? 'critical' : 'warning';
}

function describe(
  rule: SensorRule,
  state: 'raise' | 'clear',
  sample: Sample,
  e: Evaluation,
  severity: Severity,
): string {
  const id = sample.sensorId;
  if (state === 'clear') return `${id} ${rule} cleared`;
  switch (rule) {
    case 'threshold-high':
      return `${id} ${e.value} above ${severity} limit ${e.threshold}`;
    case 'threshold-low':
      return `${id} ${e.value} below ${severity} limit ${e.threshold}`;
    case 'rate-of-change':
      return `${id} changed by ${e.value} within the window (limit ${e.threshold})`;
    case 'flat-line':
      return `${id} stuck at ${e.value} for ${e.threshold} ms`;
    case 'sensor-offline':
      return `${id} has sent no good reading for ${e.value} ms`;
    case 'sensor-fault':
      return `${id} failed ${e.value} reads in a row${sample.error ? `: ${sample.error}` : ''}`.slice(0, 256);
  }
}
