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
import { resolveRules, ruleEnabled } from './rules.js';
import type { DetectorSnapshot, OpenIncident, ResumeContext } from './snapshot.js';
import { INITIAL_TRACKER, stepTracker } from './tracker.js';
import type {
  Evaluation,
  Sample,
  SensorPresence,
  SensorRule,
  TrackerOptions,
  TrackerState,
} from './types.js';

/** Health rules react to time and consecutive counts already; debouncing them again only adds delay. */
const UNDEBOUNCED = { k: 1, n: 1 } as const;

/** The rules that take UNDEBOUNCED. */
const HEALTH_RULES: ReadonlySet<SensorRule> = new Set(['sensor-fault', 'sensor-offline', 'flat-line']);

/** An incident as it was raised; its clear must carry the same alertId and severity even if rules changed since. */
interface Incident {
  alertId: string;
  severity: Severity;
  value: number | null;
  threshold: number | null;
}

interface SensorState {
  kind: SensorKind;
  rules: DetectionRules;
  trackers: Map<SensorRule, TrackerState>;
  /** The open incident of every tracker whose `active` is not 0. */
  open: Map<SensorRule, Incident>;
  rate: RateWindow;
  flat: FlatLineState;
  /** null until the first sample: a sensor that never answers goes offline counted from its first sample. */
  lastGoodTime: number | null;
  /** Failed reads in a row from before a restart; the sampler counts only its own. */
  failureCarry: number;
  /** Failed reads in a row up to the last sample, carry included. */
  failures: number;
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

    if (sample.value !== null) {
      s.lastGoodTime = sample.time;
      s.failureCarry = 0;
    }
    s.lastGoodTime ??= sample.time;
    s.failures = sample.value === null ? s.failureCarry + sample.consecutiveFailures : 0;
    this.step(s, sample, 'sensor-fault', fault(s.failures, rules.faultAfter), alerts);
    this.step(
      s,
      sample,
      'sensor-offline',
      offline(s.lastGoodTime, sample.time, rules.offlineAfterMs),
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
      this.step(s, sample, rule, thresholdLevel(value, limits, direction, hysteresis, active), alerts);
    }
    if (rules.rateOfChange) {
      const r = rateOfChange(s.rate, sample.time, value, rules.rateOfChange);
      s.rate = r.window;
      this.step(s, sample, 'rate-of-change', r.evaluation, alerts);
    } else {
      s.rate = EMPTY_RATE_WINDOW;
      this.step(s, sample, 'rate-of-change', { level: 0, value: null, threshold: null }, alerts);
    }
    if (rules.flatLine) {
      const f = flatLine(s.flat, sample.time, value, rules.flatLine);
      s.flat = f.state;
      this.step(s, sample, 'flat-line', f.evaluation, alerts);
    } else {
      s.flat = INITIAL_FLAT_LINE;
      this.step(s, sample, 'flat-line', { level: 0, value: null, threshold: null }, alerts);
    }
    return alerts;
  }

  /** Open incidents, for status reports and for clearing on shutdown decisions. */
  active(): ActiveAlert[] {
    const out: ActiveAlert[] = [];
    for (const [sensorId, s] of this.sensors) {
      for (const [rule, t] of s.trackers) {
        if (t.active !== 0) {
          out.push({ sensorId, rule, severity: s.open.get(rule)!.severity, raisedAt: t.raisedAt! });
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
      if (t.active !== 0) out.push(this.closing(sensorId, rule, s.open.get(rule)!, time, reason));
    }
    return out;
  }

  /**
   * The alert state that must survive a restart: open incidents with what their rules need to keep
   * seeing the condition, and the rules still cooling down at `time`.
   */
  snapshot(time: number): DetectorSnapshot {
    const snapshot: DetectorSnapshot = { open: [], cooling: [] };
    for (const [sensorId, s] of this.sensors) {
      for (const [rule, t] of s.trackers) {
        if (t.active !== 0) {
          const incident = s.open.get(rule)!;
          const resume = resumeContext(rule, s);
          snapshot.open.push({
            ...incident,
            sensorId,
            kind: s.kind,
            rule,
            level: t.active,
            raisedAt: t.raisedAt!,
            ...(resume && { resume }),
          });
        } else if (t.clearedAt !== null && time - t.clearedAt < (s.rules.cooldownMs ?? 0)) {
          snapshot.cooling.push({ sensorId, kind: s.kind, rule, clearedAt: t.clearedAt });
        }
      }
    }
    return snapshot;
  }

  /**
   * Takes up the incidents a previous run left open, before any sample: each one whose sensor and
   * rule still exist holds while its condition does and later clears under its original alertId;
   * the others are closed now, and those clears are returned.
   */
  restore(snapshot: DetectorSnapshot, time: number, presence: (sensorId: string) => SensorPresence): Alert[] {
    const clears: Alert[] = [];
    for (const incident of snapshot.open) {
      const where = presence(incident.sensorId);
      const gone =
        'absent' in where
          ? where.absent
          : where.kind !== incident.kind
            ? `sensor is now a ${where.kind} sensor`
            : ruleEnabled(incident.rule, this.rulesOf(incident.sensorId, where.kind))
              ? undefined
              : 'rule disabled';
      if (gone !== undefined) {
        clears.push(
          this.closing(
            incident.sensorId,
            incident.rule,
            incident,
            time,
            `${gone} while the component was down`,
          ),
        );
        continue;
      }
      this.reopen(this.restoredState(incident.sensorId, incident.kind), incident);
    }
    for (const c of snapshot.cooling) {
      const where = presence(c.sensorId);
      if ('absent' in where || where.kind !== c.kind) continue;
      const s = this.restoredState(c.sensorId, c.kind);
      if (!s.trackers.has(c.rule)) s.trackers.set(c.rule, { ...INITIAL_TRACKER, clearedAt: c.clearedAt });
    }
    return clears;
  }

  private reopen(s: SensorState, incident: OpenIncident): void {
    const { rule, level, resume } = incident;
    // A full window at the incident's level: the condition must be gone for as many samples as a
    // clear takes without a restart, not just for the first one.
    const history = Array<typeof level>(trackerOptions(rule, s.rules).n).fill(level);
    s.trackers.set(rule, { active: level, raisedAt: incident.raisedAt, clearedAt: null, history });
    s.open.set(rule, {
      alertId: incident.alertId,
      severity: incident.severity,
      value: incident.value,
      threshold: incident.threshold,
    });
    if (resume?.lastGoodTime !== undefined) s.lastGoodTime = resume.lastGoodTime;
    if (resume?.consecutiveFailures !== undefined) {
      s.failureCarry = resume.consecutiveFailures;
      s.failures = resume.consecutiveFailures;
    }
    if (resume?.flat) s.flat = resume.flat;
    if (resume?.rate) s.rate = resume.rate;
  }

  private restoredState(sensorId: string, kind: SensorKind): SensorState {
    const existing = this.sensors.get(sensorId);
    if (existing?.kind === kind) return existing;
    const s = this.newState(sensorId, kind);
    this.sensors.set(sensorId, s);
    return s;
  }

  private closing(
    sensorId: string,
    rule: SensorRule,
    incident: Incident,
    time: number,
    reason: string,
  ): Alert {
    return {
      schema: SCHEMA_VERSION,
      towerId: this.towerId,
      alertId: incident.alertId,
      state: 'clear',
      severity: incident.severity,
      rule,
      sensorId,
      value: null,
      threshold: null,
      time,
      message: `${sensorId} ${rule} cleared: ${reason}`.slice(0, 256),
    };
  }

  private stateOf(sample: Sample): SensorState {
    let s = this.sensors.get(sample.sensorId);
    if (!s || s.kind !== sample.kind) {
      s = this.newState(sample.sensorId, sample.kind);
      this.sensors.set(sample.sensorId, s);
    }
    return s;
  }

  private newState(sensorId: string, kind: SensorKind): SensorState {
    return {
      kind,
      rules: resolveRules(sensorId, kind, this.tunable),
      trackers: new Map(),
      open: new Map(),
      rate: EMPTY_RATE_WINDOW,
      flat: INITIAL_FLAT_LINE,
      lastGoodTime: null,
      failureCarry: 0,
      failures: 0,
    };
  }

  private step(s: SensorState, sample: Sample, rule: SensorRule, evaluation: Evaluation, out: Alert[]): void {
    const before = s.trackers.get(rule);
    if (!before && evaluation.level === 0) return;
    const { state, transitions } = stepTracker(
      before ?? INITIAL_TRACKER,
      evaluation.level,
      sample.time,
      trackerOptions(rule, s.rules),
    );
    s.trackers.set(rule, state);
    for (const t of transitions) {
      let incident: Incident;
      if (t.state === 'clear') {
        incident = s.open.get(rule)!;
        s.open.delete(rule);
      } else {
        const severity = evaluation.severity ?? severityOf(rule, t.level, s.rules);
        incident = {
          // The tower is part of the id so an incident is named the same everywhere, not only within its tower.
          alertId: `${this.towerId}:${sample.sensorId}:${rule}:${severity}:${t.raisedAt}`,
          severity,
          value: evaluation.value,
          threshold: evaluation.threshold,
        };
        s.open.set(rule, incident);
      }
      const { alertId, severity } = incident;
      out.push({
        schema: SCHEMA_VERSION,
        towerId: this.towerId,
        alertId,
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

function trackerOptions(rule: SensorRule, rules: DetectionRules): TrackerOptions {
  const cooldownMs = rules.cooldownMs ?? 0;
  if (HEALTH_RULES.has(rule)) return { ...UNDEBOUNCED, cooldownMs };
  return { k: rules.debounce?.k ?? 1, n: rules.debounce?.n ?? 1, cooldownMs };
}

/** What `rule`'s evaluator has seen that it would not see again from the first samples after a restart. */
function resumeContext(rule: SensorRule, s: SensorState): ResumeContext | undefined {
  switch (rule) {
    case 'sensor-offline':
      return s.lastGoodTime === null ? undefined : { lastGoodTime: s.lastGoodTime };
    case 'sensor-fault':
      return { consecutiveFailures: s.failures };
    case 'flat-line':
      return s.flat.anchor === null ? undefined : { flat: { anchor: s.flat.anchor, since: s.flat.since } };
    case 'rate-of-change':
      return { rate: { times: [...s.rate.times], values: [...s.rate.values] } };
    default:
      return undefined;
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
