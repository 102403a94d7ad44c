import type { AlertRule, RollupQuery, RollupRow, Severity } from '../../protocol/index.js';

export interface TowerView {
  towerId: string;
  online: boolean;
  latest: Record<string, { value: number | null; time: number }>;
  /** Last values per sensor, oldest first, for the sparkline. */
  spark: Record<string, number[]>;
  activeAlerts: {
    alertId: string;
    sensorId: string;
    rule: AlertRule;
    severity: Severity;
    value: number | null;
    since: number;
  }[];
  config: { desired: Record<string, unknown>; reported: Record<string, unknown>; version: number } | null;
}

export interface PipelineCounters {
  towersOnline: number;
  readingsInPerSec: number;
  readingsStoredPerSec: number;
  readingsStored: number;
  alertsRaised: number;
  alertsNotified: number;
  /** Raises the notifier held back as repeats inside its suppression window. */
  alertsSuppressed: number;
  streamLagMs: number;
  backlogMessages: number;
  quarantined: number;
}

export interface Notification {
  time: number;
  subject: string;
  towerId?: string;
  severity?: string;
}

export interface Snapshot {
  time: number;
  counters: PipelineCounters;
  towers: TowerView[];
  notifications: Notification[];
}

/** What the status page reads from and writes through: the running stack. */
export interface StatusSource {
  snapshot(): Snapshot;
  /** Sets one field of a tower's `config` shadow desired state; resolves with the new shadow version. */
  setConfig(towerId: string, path: string, value: number): Promise<{ version: number }>;
  /** Rollups of the archive for the 24 h chart; absent when the stack keeps no archive. */
  rollups?(query: RollupQuery): Promise<RollupRow[]>;
}
