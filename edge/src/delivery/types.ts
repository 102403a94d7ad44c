import type { LaneName, StoredRecord } from '../buffer/index.js';
import type { ConfirmationStats } from './confirmations.js';

/** Time as delivery sees it; injected so the throttle can run on a simulated clock. */
export interface Scheduler {
  now(): number;
  /** Resolves after `ms`, or as soon as `wake` aborts (something to send arrived). */
  sleep(ms: number, wake?: AbortSignal): Promise<void>;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  sleep: (ms, wake) =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms).unref();
      function done() {
        clearTimeout(timer);
        wake?.removeEventListener('abort', done);
        resolve();
      }
      wake?.addEventListener('abort', done, { once: true });
    }),
};

/** One MQTT publish built from one or more stored records of one lane. */
export interface OutgoingMessage {
  lane: LaneName;
  topic: string;
  payload: Buffer;
  records: StoredRecord[];
  readings: number;
}

export interface DeliveryLimits {
  maxInflight: number;
  maxPublishesPerSecond: number;
  maxBytesPerSecond: number;
  /** Largest bundle when draining a backlog. */
  drainMaxBytes: number;
}

export interface DeliveryStats {
  /** Telemetry PUBACK'd but not yet named by a stored acknowledgement (still on disk). */
  unconfirmed: ConfirmationStats;
  /** Stored acknowledgements applied. */
  storedAcks: number;
  /** Messages on the stored-acknowledgement topic that were malformed or for another tower; ignored. */
  rejectedStoredAcks: number;
  lastRejectedStoredAck: string | null;
  deliveredMessages: number;
  deliveredAlerts: number;
  deliveredBatches: number;
  deliveredReadings: number;
  publishedBytes: number;
  inflight: number;
  failedPublishes: number;
  lastError: string | null;
}
