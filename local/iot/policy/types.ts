import type { IotPolicyDocument, PolicyScope } from '../../../protocol/index.js';

export type { IotPolicyDocument, PolicyScope };

/** The MQTT actions a broker authorises, as IoT Core names them. */
export const IOT_ACTIONS = ['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive'] as const;
export type IotAction = (typeof IOT_ACTIONS)[number];

/** ARN resource types per action: Subscribe names a topic filter, the others a topic or client. */
export const RESOURCE_TYPE = {
  'iot:Connect': 'client',
  'iot:Publish': 'topic',
  'iot:Subscribe': 'topicfilter',
  'iot:Receive': 'topic',
} as const satisfies Record<IotAction, string>;

/** What IoT Core knows about a connection when it evaluates policy variables and conditions. */
export interface ConnectionContext {
  clientId: string;
  /** Thing attached to the certificate, when the client id names it (IoT resolves the thing by client id). */
  thingName?: string;
  /** `iot:Connection.Thing.IsAttached`: the client id names a thing attached to the certificate. */
  isAttached: boolean;
  certificateCommonName?: string;
}

/** IAM-style outcome: an explicit Deny beats any Allow; nothing matching is an implicit deny. */
export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
