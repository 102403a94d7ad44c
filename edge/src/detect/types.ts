import type { AlertRule, DetectionRules, Severity, SensorKind } from '../../../protocol/index.js';

/** Ordinal alert level of one (sensor, rule): 0 = inside limits, 1 = warning, 2 = critical. */
export type Level = 0 | 1 | 2;

/** One sampled reading as detection sees it; `value` is null when the read failed. */
export interface Sample {
  sensorId: string;
  kind: SensorKind;
  /** epoch ms of the read */
  time: number;
  value: number | null;
  /** Failed reads in a row up to and including this one (0 for a good read). */
  consecutiveFailures: number;
  /** Why the read failed. */
  error?: string;
}

/** The rules detection evaluates per sensor; `tower-offline` is the cloud's to raise. */
export type SensorRule = Exclude<AlertRule, 'tower-offline'>;

export interface TrackerOptions {
  /** Raise when at least k of the last n samples breach. */
  k: number;
  n: number;
  /** After a clear, no new raise for this long. */
  cooldownMs: number;
}

/** Alert state of one (sensor, rule). */
export interface TrackerState {
  /** Level of the open incident, 0 when none. */
  active: Level;
  /** When the open incident was raised; names it. */
  raisedAt: number | null;
  clearedAt: number | null;
  /** Raw levels of the last n samples, oldest first. */
  history: readonly Level[];
}

export interface Transition {
  state: 'raise' | 'clear';
  level: 1 | 2;
  /** Raise time of the incident the transition belongs to. */
  raisedAt: number;
}

/** What a level evaluator found: the level, the value compared and the limit it was compared with. */
export interface Evaluation {
  level: Level;
  value: number | null;
  threshold: number | null;
  severity?: Severity;
}

export type ResolvedRules = DetectionRules;

/** Whether the sensor of a restored incident is still sampled: its kind, or why not (the clear's message). */
export type SensorPresence = { kind: SensorKind } | { absent: string };
