import { describe, expect, it } from 'vitest';
import { planProvisioning } from '../../../local/iot/provisioning/index.js';
import { FLEET, JITP_PARAMETERS, type JitpTemplate, jitpTemplate } from '../../../protocol/index.js';

const ID = 'a'.repeat(64);
const known = { policies: new Set([FLEET.towerPolicyName]), thingGroups: new Set([FLEET.thingGroupName]) };
const edit = (change: (t: JitpTemplate) => void): JitpTemplate => {
  const t = structuredClone(jitpTemplate());
  change(t);
  return t;
};

describe('planProvisioning (JITP template run)', () => {
  it('names the thing after the CN, puts it in the towers group, attaches the tower policy, ACTIVE', () => {
    expect(planProvisioning(jitpTemplate(), { certificateId: ID, commonName: 'tower-7' }, known)).toEqual({
      ok: true,
      plan: {
        thingName: 'tower-7',
        thingGroups: [FLEET.thingGroupName],
        policyNames: [FLEET.towerPolicyName],
        status: 'ACTIVE',
      },
    });
  });

  it('fails when the certificate lacks a declared parameter, unless it has a default', () => {
    expect(planProvisioning(jitpTemplate(), { certificateId: ID, commonName: undefined }, known)).toEqual({
      ok: false,
      reason: `the certificate has no value for template parameter ${JITP_PARAMETERS.commonName}`,
    });
    const withDefault = edit((t) => {
      t.Parameters[JITP_PARAMETERS.commonName] = { Type: 'String', Default: 'tower-default' };
    });
    const r = planProvisioning(withDefault, { certificateId: ID, commonName: undefined }, known);
    expect(r.ok && r.plan.thingName).toBe('tower-default');
  });

  it('refuses groups and policies that do not exist, as RegisterThing does', () => {
    const group = edit((t) => {
      t.Resources['thing'] = {
        ...t.Resources['thing']!,
        Properties: { ThingName: 'x', ThingGroups: ['nope'] },
      } as never;
    });
    expect(planProvisioning(group, { certificateId: ID, commonName: 'x' }, known)).toEqual({
      ok: false,
      reason: 'thing group nope does not exist',
    });
    const policy = edit((t) => {
      t.Resources['policy'] = { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'admin' } };
    });
    expect(planProvisioning(policy, { certificateId: ID, commonName: 'x' }, known)).toEqual({
      ok: false,
      reason: 'policy admin does not exist',
    });
  });

  it('refuses a CN that is no tower id, and a Ref to an undeclared parameter', () => {
    const r = planProvisioning(jitpTemplate(), { certificateId: ID, commonName: 'tower 7/evil' }, known);
    expect(r).toEqual({ ok: false, reason: 'thing name "tower 7/evil" is not a tower id' });
    const undeclared = edit((t) => {
      delete t.Parameters[JITP_PARAMETERS.commonName];
    });
    expect(planProvisioning(undeclared, { certificateId: ID, commonName: 'x' }, known)).toEqual({
      ok: false,
      reason: `ThingName refers to ${JITP_PARAMETERS.commonName}, which the template does not declare`,
    });
  });

  it("takes the certificate's status from the template and needs exactly one thing and certificate", () => {
    const inactive = edit((t) => {
      t.Resources['certificate'] = {
        Type: 'AWS::IoT::Certificate',
        Properties: { CertificateId: { Ref: JITP_PARAMETERS.certificateId }, Status: 'INACTIVE' },
      };
    });
    const r = planProvisioning(inactive, { certificateId: ID, commonName: 'tower-1' }, known);
    expect(r.ok && r.plan.status).toBe('INACTIVE');
    const noThing = edit((t) => {
      delete t.Resources['thing'];
    });
    expect(planProvisioning(noThing, { certificateId: ID, commonName: 'x' }, known)).toEqual({
      ok: false,
      reason: 'the template declares 0 things, not 1',
    });
  });
});
