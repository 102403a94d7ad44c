import type { Alert, TelemetryBatch } from '../../protocol/index.js';

/**
 * The seams between the sensing half of the component (sensors, detection, batching, config) and
 * the delivery half (disk buffer, transports). Sensing depends only on these; delivery implements them.
 */

export interface Clock {
  /** epoch ms */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Where sealed batches and alerts go. A returned promise resolves once the item is durably accepted. */
export interface Sink {
  telemetry(batch: TelemetryBatch): Promise<void>;
  /** Alerts bypass batching; delivery sends them ahead of any telemetry backlog. */
  alert(alert: Alert): Promise<void>;
}

/** Per-tower telemetry sequence numbers. Persisted by the delivery half so they never go backwards. */
export interface SequenceSource {
  next(): number;
}

export interface ShadowDocument {
  /** The full desired state (not a delta). */
  desired: Record<string, unknown> | null;
  reported: Record<string, unknown> | null;
  version: number;
}

/**
 * The tower's named shadow `config`, over Greengrass IPC (ShadowManager) or direct MQTT.
 * `subscribe` fires with the full document whenever desired changes (implementations fetch the
 * whole document on a delta) and once after (re)connecting.
 */
export interface ConfigShadowPort {
  get(): Promise<ShadowDocument | null>;
  subscribe(listener: (doc: ShadowDocument) => void): () => void;
  /** Merges into `reported` (a shadow update with only `state.reported`). */
  report(reported: Record<string, unknown>): Promise<void>;
}
