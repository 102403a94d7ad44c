import type { Clock } from '../../edge/src/ports.js';
import type { RuleTargetFunction, TopicRuleDefinition } from '../../protocol/index.js';
import type { IotAction } from './policy/index.js';
import type { KinesisSink, LocalTopicRule, RuleErrorPayload, RuleOutcome } from './rules/index.js';

export type { Clock, KinesisSink, RuleErrorPayload, RuleOutcome };

export const LOCAL_IOT_DEFAULTS = {
  host: '127.0.0.1',
  region: 'local',
  accountId: '000000000000',
} as const;

export interface LocalIotOptions {
  /** certs-tool directory: ca/ca.pem, server/{cert,key}.pem and registry.json. */
  certsDir: string;
  /** Where shadows persist across restarts. */
  stateDir: string;
  host?: string;
  /** 0 picks a free port. */
  mqttPort?: number;
  dataPlanePort?: number;
  kinesis: KinesisSink;
  /** Stream the kinesis action of every TopicRuleDefinition writes to. */
  streamName: string;
  /** Defaults to protocol's TOPIC_RULES; LocalTopicRule entries run as given (republish, callbacks). */
  rules?: readonly (TopicRuleDefinition | LocalTopicRule)[];
  /** Receives the IoT error-action payload of every TopicRuleDefinition whose action failed. */
  errorSink?: (payload: RuleErrorPayload) => void | Promise<void>;
  /**
   * The functions a TopicRuleDefinition's lambda action invokes: each accepts the rule output and
   * resolves once it is queued (Lambda's `Event` invoke), not when the function has run. A rule's
   * lambda action naming a function missing here is left out.
   */
  functions?: Partial<Record<RuleTargetFunction, (event: Uint8Array) => void | Promise<void>>>;
  region?: string;
  accountId?: string;
  clock?: Clock;
}

/** Why a session ended, in IoT lifecycle-event terms. */
export type DisconnectReason =
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'SERVER_INITIATED_DISCONNECT'
  | 'CONNECTION_LOST'
  | 'DUPLICATE_CLIENTID'
  | 'AUTHORIZATION_ERROR'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'SERVER_SHUTDOWN';

export interface ConnectEvent {
  clientId: string;
  certificateId: string;
  thingName: string;
}
export interface DisconnectEvent {
  clientId: string;
  reason: DisconnectReason;
}
export interface PublishEvent {
  /** undefined for messages published by the service itself (data plane, shadows, rules) */
  clientId?: string;
  topic: string;
  qos: number;
  bytes: number;
}
export interface DeniedEvent {
  clientId?: string;
  action: IotAction | 'tls' | 'certificate' | 'payload';
  resource?: string;
  reason: string;
}

export interface LocalIotEvents {
  connect: [ConnectEvent];
  disconnect: [DisconnectEvent];
  publish: [PublishEvent];
  rule: [RuleOutcome];
  denied: [DeniedEvent];
}

export interface LocalIotStats {
  connected: number;
  connects: number;
  connectsRefused: number;
  disconnects: number;
  publishesIn: number;
  publishesDenied: number;
  subscribesDenied: number;
  receivesDenied: number;
  shadowRequests: number;
  ruleMatches: number;
  ruleFailures: number;
}
