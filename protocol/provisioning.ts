import { z } from 'zod';
import { FLEET } from './policy.js';

/**
 * Just-in-time provisioning (JITP): the template AWS IoT runs when a certificate signed by a CA
 * registered with auto-registration connects for the first time. Written once here: the CDK app
 * deploys it as the `towerwatch-jitp` provisioning template and the local IoT Core runs it.
 */
export const JITP = {
  /** Provisioning template names are `[0-9A-Za-z_-]{1,36}`. */
  templateName: 'towerwatch-jitp',
  /** RegistrationConfig.templateBody and provisioning template bodies are at most 10,240 characters. */
  maxTemplateBodyChars: 10_240,
} as const;

/** The certificate parameters JITP fills in; the id is the one AWS IoT computes, not the serial. */
export const JITP_PARAMETERS = {
  commonName: 'AWS::IoT::Certificate::CommonName',
  certificateId: 'AWS::IoT::Certificate::Id',
} as const;
export type JitpParameterName = (typeof JITP_PARAMETERS)[keyof typeof JITP_PARAMETERS];

const Ref = z.object({ Ref: z.string() }).strict();
/** A template value: a literal string or `{"Ref": "<parameter>"}`. */
const Value = z.union([z.string(), Ref]);
export type JitpValue = z.infer<typeof Value>;

const ThingResource = z.object({
  Type: z.literal('AWS::IoT::Thing'),
  Properties: z.object({ ThingName: Value, ThingGroups: z.array(Value).optional() }).strict(),
  OverrideSettings: z.record(z.string(), z.enum(['DO_NOTHING', 'REPLACE', 'FAIL', 'MERGE'])).optional(),
});
const CertificateResource = z.object({
  Type: z.literal('AWS::IoT::Certificate'),
  Properties: z.object({ CertificateId: Value, Status: z.enum(['ACTIVE', 'INACTIVE']).optional() }).strict(),
});
const PolicyResource = z.object({
  Type: z.literal('AWS::IoT::Policy'),
  // Named policies only: the fleet's policy exists before any tower does (deployed by the CDK app).
  Properties: z.object({ PolicyName: z.string().min(1) }).strict(),
});

/**
 * The JITP template bodies towerwatch understands: string parameters, one thing, the certificate,
 * and named policies. Anything else (thing types, attributes, inline policy documents) is refused
 * when the template is parsed, never ignored.
 */
export const JitpTemplateSchema = z
  .object({
    Parameters: z.record(
      z.string(),
      z.object({ Type: z.literal('String'), Default: z.string().optional() }).strict(),
    ),
    Resources: z.record(z.string(), z.union([ThingResource, CertificateResource, PolicyResource])),
  })
  .strict();
export type JitpTemplate = z.infer<typeof JitpTemplateSchema>;

export interface JitpTemplateOptions {
  thingGroupName?: string;
  policyName?: string;
}

/**
 * The fleet's template: the thing is named after the certificate's common name (the tower id, as
 * certs-tool issues it), joins the towers' thing group, and the certificate turns ACTIVE with the
 * tower policy attached.
 */
export function jitpTemplate(options: JitpTemplateOptions = {}): JitpTemplate {
  return {
    Parameters: {
      [JITP_PARAMETERS.commonName]: { Type: 'String' },
      [JITP_PARAMETERS.certificateId]: { Type: 'String' },
    },
    Resources: {
      thing: {
        Type: 'AWS::IoT::Thing',
        Properties: {
          ThingName: { Ref: JITP_PARAMETERS.commonName },
          ThingGroups: [options.thingGroupName ?? FLEET.thingGroupName],
        },
      },
      certificate: {
        Type: 'AWS::IoT::Certificate',
        Properties: { CertificateId: { Ref: JITP_PARAMETERS.certificateId }, Status: 'ACTIVE' },
      },
      policy: {
        Type: 'AWS::IoT::Policy',
        Properties: { PolicyName: options.policyName ?? FLEET.towerPolicyName },
      },
    },
  };
}

/** The template as the string `templateBody` fields carry. */
export function jitpTemplateBody(options: JitpTemplateOptions = {}): string {
  return JSON.stringify(jitpTemplate(options));
}

/** Parses a `templateBody` string; the error names the first field that does not fit. */
export function parseJitpTemplateBody(body: string): JitpTemplate {
  if (body.length > JITP.maxTemplateBodyChars) {
    throw new Error(`templateBody has ${body.length} characters, more than ${JITP.maxTemplateBodyChars}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error('templateBody is not JSON');
  }
  const parsed = JitpTemplateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`templateBody.${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
