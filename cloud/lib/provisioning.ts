import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { FLEET, JITP, jitpTemplateBody } from '../../protocol/index.js';

export interface JustInTimeProvisioningProps {
  /** The policy the template attaches to every new certificate. */
  readonly towerPolicy: iot.CfnPolicy;
  /** The group every provisioned thing joins. */
  readonly thingGroup: iot.CfnThingGroup;
}

const iotArn = (type: string, rest: string) =>
  `arn:${Aws.PARTITION}:iot:${Aws.REGION}:${Aws.ACCOUNT_ID}:${type}/${rest}`;

/** Thing names and certificate ids exist only once a tower first connects: only their kind is fixed. */
export const PROVISIONED_RESOURCES = {
  things: iotArn('thing', '*'),
  certificates: iotArn('cert', '*'),
} as const;

/**
 * Just-in-time provisioning for the fleet CA: the JITP template (`protocol/provisioning.ts`) and
 * the role IoT assumes to run it. `certs-tool register-ca --jitp` names both when it registers the
 * CA with auto-registration, so a tower whose certificate the CA signed provisions itself on its
 * first connect.
 */
export class JustInTimeProvisioning extends Construct {
  readonly role: iam.Role;
  readonly template: iot.CfnProvisioningTemplate;
  readonly templateName: string = JITP.templateName;

  constructor(scope: Construct, id: string, props: JustInTimeProvisioningProps) {
    super(scope, id);
    const groupArn = iotArn('thinggroup', FLEET.thingGroupName);
    const policyArn = iotArn('policy', FLEET.towerPolicyName);

    // Least privilege instead of the managed AWSIoTThingsRegistration (which is Resource '*'): only
    // what this template does, the thing group and policy named, things and certificates by kind.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com'),
      description: 'AWS IoT just-in-time provisioning of towerwatch towers: thing, group, tower policy',
      inlinePolicies: {
        provision: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['iot:CreateThing', 'iot:DescribeThing', 'iot:UpdateThing'],
              resources: [PROVISIONED_RESOURCES.things],
            }),
            new iam.PolicyStatement({
              actions: ['iot:AddThingToThingGroup'],
              resources: [PROVISIONED_RESOURCES.things, groupArn],
            }),
            new iam.PolicyStatement({
              actions: ['iot:DescribeThingGroup', 'iot:ListThingGroupsForThing'],
              resources: [groupArn, PROVISIONED_RESOURCES.things],
            }),
            new iam.PolicyStatement({
              actions: ['iot:AttachThingPrincipal', 'iot:ListThingPrincipals'],
              resources: [PROVISIONED_RESOURCES.things, PROVISIONED_RESOURCES.certificates],
            }),
            new iam.PolicyStatement({
              actions: ['iot:DescribeCertificate', 'iot:UpdateCertificate'],
              resources: [PROVISIONED_RESOURCES.certificates],
            }),
            // AttachPolicy is authorized on the target certificate; GetPolicy on the policy.
            new iam.PolicyStatement({
              actions: ['iot:AttachPolicy', 'iot:ListAttachedPolicies'],
              resources: [PROVISIONED_RESOURCES.certificates, policyArn],
            }),
            new iam.PolicyStatement({ actions: ['iot:GetPolicy'], resources: [policyArn] }),
          ],
        }),
      },
    });

    this.template = new iot.CfnProvisioningTemplate(this, 'Template', {
      templateName: JITP.templateName,
      templateType: 'JITP',
      description:
        'towerwatch: a tower certificate signed by the fleet CA provisions its thing on first connect',
      enabled: true,
      provisioningRoleArn: this.role.roleArn,
      templateBody: jitpTemplateBody({
        thingGroupName: FLEET.thingGroupName,
        policyName: FLEET.towerPolicyName,
      }),
    });
    // The template names the policy and group: they must exist before any tower can provision.
    this.template.addResourceDependency(props.towerPolicy);
    this.template.addResourceDependency(props.thingGroup);
  }
}
