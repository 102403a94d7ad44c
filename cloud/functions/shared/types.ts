import type { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { MessageType } from '../../../protocol/index.js';

export interface Clock {
  /** epoch ms */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** What the cores count. Powertools Metrics in Lambda, an in-memory counter locally. */
export interface MetricsSink {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  /** Called once per invocation (Powertools publishes the EMF line). */
  flush?(): void;
}

export const noMetrics: MetricsSink = { count: () => {} };

/** The part of the Powertools Logger the cores use. */
export type LogSink = Pick<Logger, 'warn' | 'error'>;

/** The IoT rule output, decoded: the rule's fields, and the device payload parsed from its nested bytes. */
export interface RuleOutput {
  messageType: MessageType;
  /** From the authorised topic; a Greengrass `#n` client-id suffix already removed. */
  towerId: string;
  /** IoT Core receive time added by the rule. */
  receivedAt: number;
  payload: Record<string, unknown>;
}

/** A Kinesis record decoded into the IoT rule output. */
export interface RuleRecord extends RuleOutput {
  record: KinesisStreamRecord;
  /** Kinesis sequence number: the item identifier of partial batch responses. */
  id: string;
}

/** Per-record result of a batch-level core: records not listed succeeded (or were quarantined). */
export interface BatchOutcome {
  failures: Map<string, Error>;
}
