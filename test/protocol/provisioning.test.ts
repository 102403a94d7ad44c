import { describe, expect, it } from 'vitest';
import {
  FLEET,
  JITP,
  JITP_PARAMETERS,
  jitpTemplate,
  jitpTemplateBody,
  parseJitpTemplateBody,
} from '../../protocol/index.js';

describe('JITP template', () => {
  it('round-trips the fleet template through its body string', () => {
    expect(parseJitpTemplateBody(jitpTemplateBody())).toEqual(jitpTemplate());
    expect(jitpTemplate().Resources['policy']).toEqual({
      Type: 'AWS::IoT::Policy',
      Properties: { PolicyName: FLEET.towerPolicyName },
    });
  });

  it('takes another group and policy name', () => {
    const t = jitpTemplate({ thingGroupName: 'g', policyName: 'p' });
    expect(t.Resources['thing']?.Properties).toEqual({
      ThingName: { Ref: JITP_PARAMETERS.commonName },
      ThingGroups: ['g'],
    });
    expect(t.Resources['policy']?.Properties).toEqual({ PolicyName: 'p' });
  });

  it('fits the provisioning template name and body limits', () => {
    expect(JITP.templateName).toMatch(/^[0-9A-Za-z_-]{1,36}$/);
    expect(jitpTemplateBody().length).toBeLessThan(JITP.maxTemplateBodyChars);
  });

  it('refuses what it does not understand, naming the field', () => {
    expect(() => parseJitpTemplateBody('{')).toThrow('templateBody is not JSON');
    const inline = jitpTemplate() as unknown as { Resources: Record<string, { Properties: object }> };
    inline.Resources['policy']!.Properties = { PolicyDocument: '{}' };
    expect(() => parseJitpTemplateBody(JSON.stringify(inline))).toThrow(/templateBody\.Resources\.policy/);
    const typed = jitpTemplate() as unknown as { Resources: Record<string, { Properties: object }> };
    typed.Resources['thing']!.Properties = { ThingName: 'x', ThingTypeName: 'mast' };
    expect(() => parseJitpTemplateBody(JSON.stringify(typed))).toThrow(/templateBody\.Resources\.thing/);
    expect(() => parseJitpTemplateBody(' '.repeat(JITP.maxTemplateBodyChars + 1))).toThrow(/more than 10240/);
  });
});
