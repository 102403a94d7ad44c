import type { LaneName, StoredRecord } from '../buffer/index.js';

/** Time as delivery sees it; injected so the throttle can run on a simulated clock. */
export interface Scheduler {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
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
  deliveredMessages: number;
  deliveredAlerts: number;
  deliveredBatches: number;
  deliveredReadings: number;
  publishedBytes: number;
  inflight: number;
  failedPublishes: number;
  lastError: string | null;
}
