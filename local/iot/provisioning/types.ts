import { z } from 'zod';

/** RegistrationConfig as RegisterCACertificate / UpdateCACertificate carry it. */
export const RegistrationConfigSchema = z.object({
  templateName: z.string().optional(),
  templateBody: z.string().optional(),
  roleArn: z.string().optional(),
});
export type RegistrationConfig = z.infer<typeof RegistrationConfigSchema>;

/** What the local IoT Core keeps about a CA beyond its registry row (which says ACTIVE or not). */
export const CaSettingsSchema = z.object({
  autoRegistrationStatus: z.enum(['ENABLE', 'DISABLE']),
  registrationConfig: RegistrationConfigSchema.optional(),
});
export type CaSettings = z.infer<typeof CaSettingsSchema>;

export const ThingSchema = z.object({
  thingGroups: z.array(z.string()),
  createdAt: z.string(),
});

/**
 * The local IoT registry beside certs-tool's certificate list: CA auto-registration settings,
 * things and their groups, and the policies attached to each certificate. A certificate with no
 * attachment entry came from certs-tool and carries the tower policy, as `certs-tool register`
 * attaches it in AWS.
 */
export const ProvisioningDataSchema = z.object({
  version: z.literal(1),
  registrationCode: z.string().optional(),
  caCertificates: z.record(z.string(), CaSettingsSchema),
  things: z.record(z.string(), ThingSchema),
  policyAttachments: z.record(z.string(), z.array(z.string())),
});
export type ProvisioningData = z.infer<typeof ProvisioningDataSchema>;

/** The certificate fields JITP reads (the parameters it can fill). */
export interface PresentedCertificate {
  certificateId: string;
  commonName: string | undefined;
}

/** What running a template against one certificate does; applied by the registrar. */
export interface ProvisioningPlan {
  thingName: string;
  thingGroups: string[];
  policyNames: string[];
  /** the certificate's status once provisioning completes */
  status: 'ACTIVE' | 'INACTIVE';
}

export type PlanResult = { ok: true; plan: ProvisioningPlan } | { ok: false; reason: string };

/** What the broker learns about an unknown certificate it handed to JITP. */
export type RegistrationOutcome =
  /** registered (and provisioned): the connection is dropped and the device retries */
  | { kind: 'registered'; status: string; thingName?: string; reason?: string }
  /** not eligible: the CA is unregistered, inactive or has auto-registration off */
  | { kind: 'refused'; reason: string };
