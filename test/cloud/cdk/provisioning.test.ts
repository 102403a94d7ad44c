import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet, JustInTimeProvisioning, PROVISIONING_FINDINGS } from '../../../cloud/lib/index.js';
import { FLEET, JITP, JITP_PARAMETERS, parseJitpTemplateBody } from '../../../protocol/index.js';
import { logicalIdOf, resourcesOfType, synthFixtureStack } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: the synthesized CloudFormation JSON
type Json = any;

/** Fleet + provisioning alone: fast, and nothing else in the template to confuse the assertions. */
function provisioningStack() {
  const app = new App();
  const stack = new Stack(app, 'Jitp');
  const fleet = new Fleet(stack, 'Fleet');
  const jitp = new JustInTimeProvisioning(stack, 'Provisioning', {
    towerPolicy: fleet.towerPolicy,
    thingGroup: fleet.thingGroup,
  });
  return { app, stack, fleet, jitp, template: Template.fromStack(stack) };
}

describe('JustInTimeProvisioning', () => {
  const { app, stack, template } = provisioningStack();
  const json: Json = template.toJSON();
  const roleId = logicalIdOf(json, 'AWS::IAM::Role', 'ProvisioningRole');
  const templateResource = () => resourcesOfType(json, 'AWS::IoT::ProvisioningTemplate')[0]![1];

  it('creates one enabled JITP template named as protocol says, run by its own role', () => {
    template.resourceCountIs('AWS::IoT::ProvisioningTemplate', 1);
    template.hasResourceProperties('AWS::IoT::ProvisioningTemplate', {
      TemplateName: JITP.templateName,
      TemplateType: 'JITP',
      Enabled: true,
      ProvisioningRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
    });
  });

  it('deploys the body protocol/provisioning.ts defines: thing = CN in the tower group, ACTIVE, tower policy', () => {
    const body = parseJitpTemplateBody(templateResource().Properties.TemplateBody as string);
    expect(Object.keys(body.Parameters).sort()).toEqual(
      [JITP_PARAMETERS.certificateId, JITP_PARAMETERS.commonName].sort(),
    );
    expect(body.Resources['thing']).toEqual({
      Type: 'AWS::IoT::Thing',
      Properties: { ThingName: { Ref: JITP_PARAMETERS.commonName }, ThingGroups: [FLEET.thingGroupName] },
    });
    expect(body.Resources['certificate']).toEqual({
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: JITP_PARAMETERS.certificateId }, Status: 'ACTIVE' },
    });
    expect(body.Resources['policy']).toEqual({
      Type: 'AWS::IoT::Policy',
      Properties: { PolicyName: FLEET.towerPolicyName },
    });
  });

  it('waits for the tower policy and the thing group it names', () => {
    const dependsOn = templateResource().DependsOn as string[];
    expect(dependsOn).toEqual(
      expect.arrayContaining([
        logicalIdOf(json, 'AWS::IoT::Policy', 'FleetTowerPolicy'),
        logicalIdOf(json, 'AWS::IoT::ThingGroup', 'FleetThingGroup'),
      ]),
    );
  });

  it('lets only IoT assume the role', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({ Action: 'sts:AssumeRole', Principal: { Service: 'iot.amazonaws.com' } }),
        ],
      },
    });
  });

  it('grants no wildcard action, nothing on "*", and names the group and the tower policy', () => {
    const role = json.Resources[roleId];
    const statements: Json[] = role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const text = JSON.stringify(statements);
    for (const st of statements) {
      for (const action of [st.Action].flat()) expect(action).toMatch(/^iot:[A-Z][A-Za-z]+$/);
      expect([st.Resource].flat()).not.toContain('*');
    }
    expect(text).toContain(`:thinggroup/${FLEET.thingGroupName}`);
    expect(text).toContain(`:policy/${FLEET.towerPolicyName}`);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(
      expect.arrayContaining([
        'iot:AddThingToThingGroup',
        'iot:AttachPolicy',
        'iot:AttachThingPrincipal',
        'iot:CreateThing',
        'iot:UpdateCertificate',
      ]),
    );
    expect(actions.some((a) => /Delete|Detach|CreatePolicy|RegisterCACertificate/.test(a))).toBe(false);
  });

  it('keeps cdk-nag clean with only the provisioning acknowledgements', () => {
    for (const f of PROVISIONING_FINDINGS) Validations.of(stack).acknowledge(f);
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('is flagged by cdk-nag without them (the acknowledgements are needed, not decoration)', () => {
    const fresh = provisioningStack();
    const report = new AwsSolutionsChecks(fresh.app).validateScope(fresh.app);
    expect(report.violations.map((v) => v.ruleName).sort()).toEqual(
      PROVISIONING_FINDINGS.map((f) => f.id).sort(),
    );
  });
});

describe('TowerwatchStack provisioning', () => {
  let app: App;
  let json: Json;
  let cleanup: () => void;

  beforeAll(() => {
    ({ app, json, cleanup } = synthFixtureStack('TowerwatchJitp', { componentVersion: '1.0.0' }));
  });

  afterAll(() => cleanup());

  it('outputs the template name and role ARN that certs-tool register-ca --jitp takes', () => {
    const templateId = logicalIdOf(json, 'AWS::IoT::ProvisioningTemplate', 'Provisioning');
    const roleId = logicalIdOf(json, 'AWS::IAM::Role', 'ProvisioningRole');
    expect(json.Outputs.JitpTemplateName.Value).toEqual({ Ref: templateId });
    expect(json.Outputs.JitpRoleArn.Value).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
  });

  it('keeps the whole stack cdk-nag clean', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});
