import { APP, SHADOW_NAMES } from './topics.js';

/** The IoT policy documents, produced once: the CDK app attaches them and the local broker enforces them. */
export interface IotPolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
export interface IotPolicyDocument {
  Version: '2012-10-17';
  Statement: IotPolicyStatement[];
}

export interface PolicyScope {
  partition?: string;
  region: string;
  accountId: string;
}

const THING = '${iot:Connection.Thing.ThingName}';

/**
 * Least privilege for a tower: connect only as its own thing (and only while the certificate is
 * attached to it), publish only its own device data and its own `config` shadow requests, and
 * subscribe/receive only its own commands and `config` shadow replies.
 */
export function towerPolicyDocument(scope: PolicyScope): IotPolicyDocument {
  const arn = (type: string, rest: string) =>
    `arn:${scope.partition ?? 'aws'}:iot:${scope.region}:${scope.accountId}:${type}/${rest}`;
  const configShadow = `$aws/things/${THING}/shadow/name/${SHADOW_NAMES.config}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['iot:Connect'],
        Resource: [arn('client', THING)],
        Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
      },
      {
        Effect: 'Allow',
        Action: ['iot:Publish'],
        Resource: [
          arn('topic', `dt/${APP}/${THING}/*`),
          arn('topic', `${configShadow}/get`),
          arn('topic', `${configShadow}/update`),
        ],
      },
      {
        Effect: 'Allow',
        Action: ['iot:Subscribe'],
        Resource: [arn('topicfilter', `cmd/${APP}/${THING}/*`), arn('topicfilter', `${configShadow}/*`)],
      },
      {
        Effect: 'Allow',
        Action: ['iot:Receive'],
        Resource: [arn('topic', `cmd/${APP}/${THING}/*`), arn('topic', `${configShadow}/*`)],
      },
    ],
  };
}

/** Fleet resource names shared by certs-tool (register), the CDK app and the docs. */
export const FLEET = {
  towerPolicyName: 'towerwatch-tower',
  thingGroupName: 'towerwatch-towers',
  roleAliasName: 'towerwatch-token-exchange',
  componentName: 'com.towerwatch.Edge',
  /** IoT policy a Greengrass core device needs besides the tower policy (nucleus, deployments, TES). */
  greengrassCorePolicyName: 'towerwatch-greengrass-core',
} as const;
