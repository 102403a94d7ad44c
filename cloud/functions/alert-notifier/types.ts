import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Alert } from '../../../protocol/index.js';
import type { Clock, LogSink, MetricsSink } from '../shared/types.js';

export const CONSUMER = 'alert-notifier' as const;

export interface NotifierConfig {
  tableName: string;
  /** FIFO topics (`.fifo`) get a MessageGroupId and MessageDeduplicationId with every publish. */
  topicArn: string;
  /** Standard topic for email/SMS subscribers, published after the FIFO topic; unset = none. */
  fanoutTopicArn?: string;
  offlineGraceMs: number;
  suppressionWindowMs: number;
}

export interface NotifierDeps extends NotifierConfig {
  doc: DynamoDBDocumentClient;
  sns: SNSClient;
  clock: Clock;
  metrics: MetricsSink;
  log: LogSink;
  /** How long a claimed notification stays reserved for the invocation that claimed it. */
  claimLeaseMs?: number;
  /** How long a stream record waits for the direct delivery of the same alert to finish (default 5 s). */
  claimWaitMs?: number;
}

/** How an alert reached the notifier: the Kinesis stream (in order per tower) or the rule's direct invoke. */
export type DeliveryPath = 'stream' | 'direct';

/** The decision taken for one alert transition, kept in the suppression state it was taken on. */
export interface RecordedDecision {
  /** `<alertId>#<raise|clear>` */
  key: string;
  action: Decision['action'];
  /** What to publish when `action` is notify (a clear may carry its episode's alert id). */
  alert?: Alert;
}

/** Per (tower, sensor, rule): the episode being notified. */
export interface SuppressionState {
  /** Alert id of the raise that was notified (the "cleared" message names it too). */
  raisedAlertId: string | null;
  severity: Alert['severity'] | null;
  /** IoT receive time of the notified raise. */
  notifiedAt: number;
  /** The condition is currently raised (by the notified raise or a suppressed one). */
  active: boolean;
  /** A clear waiting for the window to stay quiet before "cleared" is sent. */
  pendingClear: { alert: Alert; dueAt: number } | null;
  /**
   * The latest decisions, written in the same conditional put as the state they produced: a
   * delivery that decided, then failed to publish, is retried with its decision instead of a
   * second one taken on the state its first attempt already moved.
   */
  decided?: RecordedDecision[];
  /**
   * A "cleared" the sweep decided (its state write landed) and may not have published yet: the
   * next sweep, or the next record of this episode, sends it (claim-deduplicated) before anything else.
   */
  sweptClear?: Alert | null;
}

export interface PresenceState {
  /** Client ids with an open session and the time it opened. */
  connected: Record<string, number>;
  disconnectedAt: number | null;
  offlineAlertId: string | null;
  /** The sweep recorded the offline raise and may not have published it yet (sent before its clear). */
  offlineRaisePending?: boolean;
}

export type Decision =
  | { action: 'notify'; alert: Alert; next: SuppressionState }
  | { action: 'suppress'; next: SuppressionState }
  | { action: 'defer'; next: SuppressionState };
