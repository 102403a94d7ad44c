import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { FLEET, type IotPolicyDocument, SHADOW_NAMES, towerPolicyDocument } from '../../protocol/index.js';

const THING = '${iot:Connection.Thing.ThingName}';

const iotArn = (type: string, rest: string) =>
  `arn:${Aws.PARTITION}:iot:${Aws.REGION}:${Aws.ACCOUNT_ID}:${type}/${rest}`;
const greengrassArn = (rest: string) =>
  `arn:${Aws.PARTITION}:greengrass:${Aws.REGION}:${Aws.ACCOUNT_ID}:${rest}`;

/**
 * What the Greengrass nucleus itself needs on a tower, on top of the tower policy: its extra MQTT
 * connections (`<thing>#2`…), deployments over IoT jobs and the deployment shadow, health reports,
 * component resolution and artifact download, and credentials through the role alias.
 * After the AWS "Minimal AWS IoT policy for Greengrass V2 core devices", scoped to the thing itself.
 */
export function greengrassCorePolicyDocument(roleAliasArn: string): IotPolicyDocument {
  const own = (rest: string) => `$aws/things/${THING}/${rest}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['iot:Connect'],
        Resource: [iotArn('client', THING), iotArn('client', `${THING}#*`)],
        Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
      },
      {
        Effect: 'Allow',
        Action: ['iot:Publish', 'iot:Receive'],
        Resource: [
          iotArn('topic', own('jobs/*')),
          iotArn('topic', own('greengrassv2/health/json')),
          iotArn('topic', own('shadow/name/AWSManagedGreengrassV2Deployment/*')),
        ],
      },
      {
        Effect: 'Allow',
        Action: ['iot:Subscribe'],
        Resource: [
          iotArn('topicfilter', own('jobs/*')),
          iotArn('topicfilter', own('shadow/name/AWSManagedGreengrassV2Deployment/*')),
        ],
      },
      {
        // ShadowManager syncs the edge's `config` shadow with the cloud through these actions.
        Effect: 'Allow',
        Action: ['iot:GetThingShadow', 'iot:UpdateThingShadow', 'iot:DeleteThingShadow'],
        Resource: [iotArn('thing', `${THING}/${SHADOW_NAMES.config}`)],
      },
      { Effect: 'Allow', Action: ['iot:AssumeRoleWithCertificate'], Resource: [roleAliasArn] },
      {
        Effect: 'Allow',
        Action: ['greengrass:GetComponentVersionArtifact'],
        Resource: [greengrassArn('components:*:versions:*')],
      },
      {
        Effect: 'Allow',
        Action: ['greengrass:GetDeploymentConfiguration'],
        Resource: [greengrassArn('deployments:*')],
      },
      {
        Effect: 'Allow',
        Action: ['greengrass:ListThingGroupsForCoreDevice'],
        Resource: [greengrassArn(`coreDevices:${THING}`)],
      },
      // ResolveComponentCandidates supports no resource-level permissions.
      { Effect: 'Allow', Action: ['greengrass:ResolveComponentCandidates'], Resource: ['*'] },
    ],
  };
}

/**
 * The fleet's identity in IoT Core: the tower policy (the same document the local broker enforces),
 * the Greengrass core policy, the thing group, and the token-exchange role behind its role alias.
 * Certificates and things are created per tower by `certs-tool register`.
 */
export class Fleet extends Construct {
  readonly towerPolicy: iot.CfnPolicy;
  readonly corePolicy: iot.CfnPolicy;
  readonly thingGroup: iot.CfnThingGroup;
  readonly thingGroupArn: string;
  /** Assumed by the Greengrass token exchange service; the component version grants it its artifact. */
  readonly tokenExchangeRole: iam.Role;
  readonly roleAlias: iot.CfnRoleAlias;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.towerPolicy = new iot.CfnPolicy(this, 'TowerPolicy', {
      policyName: FLEET.towerPolicyName,
      policyDocument: towerPolicyDocument({
        partition: Aws.PARTITION,
        region: Aws.REGION,
        accountId: Aws.ACCOUNT_ID,
      }),
    });

    this.thingGroup = new iot.CfnThingGroup(this, 'ThingGroup', {
      thingGroupName: FLEET.thingGroupName,
      thingGroupProperties: { thingGroupDescription: 'towerwatch towers (Greengrass core devices)' },
    });
    this.thingGroupArn = iotArn('thinggroup', FLEET.thingGroupName);

    this.tokenExchangeRole = new iam.Role(this, 'TokenExchangeRole', {
      assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com'),
      description: 'Greengrass token exchange role for towerwatch towers: download the component artifact',
    });
    this.roleAlias = new iot.CfnRoleAlias(this, 'RoleAlias', {
      roleAlias: FLEET.roleAliasName,
      roleArn: this.tokenExchangeRole.roleArn,
      credentialDurationSeconds: 3600,
    });

    this.corePolicy = new iot.CfnPolicy(this, 'GreengrassCorePolicy', {
      policyName: FLEET.greengrassCorePolicyName,
      policyDocument: greengrassCorePolicyDocument(this.roleAlias.attrRoleAliasArn),
    });
  }
}
