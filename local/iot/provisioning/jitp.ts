import {
  JITP_PARAMETERS,
  type JitpTemplate,
  type JitpValue,
  TowerIdSchema,
} from '../../../protocol/index.js';
import type { PlanResult, PresentedCertificate } from './types.js';

/** What exists in the account before any tower does (the CDK app deploys them). */
export interface KnownResources {
  policies: ReadonlySet<string>;
  thingGroups: ReadonlySet<string>;
}

/**
 * Runs a JITP template against one certificate, as IoT's RegisterThing does for JITP: the
 * parameters come from the certificate (a declared parameter the certificate lacks fails the run),
 * `Ref`s resolve to them, and every named policy and group must already exist. Pure: the caller
 * applies the plan.
 */
export function planProvisioning(
  template: JitpTemplate,
  cert: PresentedCertificate,
  known: KnownResources,
): PlanResult {
  const available: Record<string, string | undefined> = {
    [JITP_PARAMETERS.commonName]: cert.commonName,
    [JITP_PARAMETERS.certificateId]: cert.certificateId,
  };
  const values = new Map<string, string>();
  for (const [name, declared] of Object.entries(template.Parameters)) {
    const value = available[name] ?? declared.Default;
    if (value === undefined) {
      return { ok: false, reason: `the certificate has no value for template parameter ${name}` };
    }
    values.set(name, value);
  }
  const resolve = (v: JitpValue, field: string): string => {
    if (typeof v === 'string') return v;
    const value = values.get(v.Ref);
    if (value === undefined)
      throw new Error(`${field} refers to ${v.Ref}, which the template does not declare`);
    return value;
  };

  try {
    const resources = Object.values(template.Resources);
    const things = resources.filter((r) => r.Type === 'AWS::IoT::Thing');
    const certs = resources.filter((r) => r.Type === 'AWS::IoT::Certificate');
    if (things.length !== 1)
      return { ok: false, reason: `the template declares ${things.length} things, not 1` };
    if (certs.length !== 1)
      return { ok: false, reason: `the template declares ${certs.length} certificates, not 1` };
    const thing = things[0]!;
    const certificate = certs[0]!;
    const thingName = resolve(thing.Properties.ThingName, 'ThingName');
    // Locally a thing is a tower: the registry keys certificates by tower id.
    if (!TowerIdSchema.safeParse(thingName).success) {
      return { ok: false, reason: `thing name ${JSON.stringify(thingName)} is not a tower id` };
    }
    if (resolve(certificate.Properties.CertificateId, 'CertificateId') !== cert.certificateId) {
      return { ok: false, reason: 'the template certificate is not the one presented' };
    }
    const thingGroups = (thing.Properties.ThingGroups ?? []).map((g) => resolve(g, 'ThingGroups'));
    const missingGroup = thingGroups.find((g) => !known.thingGroups.has(g));
    if (missingGroup) return { ok: false, reason: `thing group ${missingGroup} does not exist` };
    const policyNames = resources.flatMap((r) =>
      r.Type === 'AWS::IoT::Policy' ? [r.Properties.PolicyName] : [],
    );
    const missingPolicy = policyNames.find((p) => !known.policies.has(p));
    if (missingPolicy) return { ok: false, reason: `policy ${missingPolicy} does not exist` };
    return {
      ok: true,
      plan: { thingName, thingGroups, policyNames, status: certificate.Properties.Status ?? 'ACTIVE' },
    };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
