import { z } from 'zod';
import { TowerIdSchema } from '../protocol/index.js';

export const DEVICE_DEFAULT_DAYS = 365;
export const SERVER_DEFAULT_DAYS = 365;

/** Validity in days: a whole number from 1 to 10 years' worth. */
export const DaysSchema = z
  .number()
  .int('days must be a whole number')
  .min(1, 'days must be at least 1')
  .max(3650 * 3, 'days must be at most 10950');

export interface InitCaOptions {
  days?: number;
  /** Distinguished name of the CA, e.g. `CN=towerwatch fleet CA, O=towerwatch`. */
  name?: string;
  /** Injected clock; a date in the past issues a certificate that is already expired. */
  now?: Date;
}

export interface IssueOptions {
  days?: number;
  now?: Date;
}

export interface CaInfo {
  caPath: string;
  keyPath: string;
  certificateId: string;
}

export interface DeviceCertificate {
  certPath: string;
  keyPath: string;
  caPath: string;
  certificateId: string;
}

export interface ServerCertificate {
  certPath: string;
  keyPath: string;
  caPath: string;
  certificateId: string;
}

export interface SignedCertificate {
  towerId: string;
  certPath: string;
  caPath: string;
  certificateId: string;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  commonName: string | null;
  serial: string;
  notBefore: string;
  notAfter: string;
  /** e.g. `EC P-256` or `RSA 2048` */
  keyAlgorithm: string;
  /** `DNS:name` / `IP:addr` entries */
  subjectAltNames: string[];
  /** names like `clientAuth`, `serverAuth`, or the OID when unnamed */
  extendedKeyUsage: string[];
  isCa: boolean;
  /** hex SHA-256 of the DER, the id AWS IoT gives the certificate */
  certificateId: string;
}

export type VerifyCheckName = 'chain' | 'caValidity' | 'validity' | 'keyUsage' | 'registry';

export interface VerifyCheck {
  name: VerifyCheckName;
  ok: boolean;
  detail: string;
}

export interface VerifyResult {
  ok: boolean;
  certificateId: string;
  towerId: string | null;
  checks: VerifyCheck[];
  /** One line per failed check, each naming the fix. */
  problems: string[];
}

export const GreengrassOptionsSchema = z.object({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must look like eu-west-1'),
  dataEndpoint: z
    .string()
    .min(1, 'data endpoint is required (aws iot describe-endpoint --endpoint-type iot:Data-ATS)'),
  credEndpoint: z
    .string()
    .min(
      1,
      'credentials endpoint is required (aws iot describe-endpoint --endpoint-type iot:CredentialProvider)',
    ),
  roleAlias: z.string().min(1, 'role alias is required'),
  /** Install root on the tower; every path in config.yaml lives under it. */
  rootPath: z.string().startsWith('/', 'rootpath must be absolute').default('/greengrass/v2'),
  nucleusVersion: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, 'nucleus version must look like 2.16.1')
    .default('2.16.1'),
  /** Where the bundle is written on this machine (default `<dir>/greengrass/<towerId>`). */
  outDir: z.string().optional(),
});
export type GreengrassOptions = z.input<typeof GreengrassOptionsSchema>;

export interface GreengrassBundle {
  outDir: string;
  configPath: string;
  files: { certificate: string; privateKey: string; rootCa: string };
}

export const EnsureFleetOptionsSchema = z.object({
  towerIds: z.array(TowerIdSchema),
  serverHostnames: z.array(z.string().min(1)).default(['localhost']),
  days: DaysSchema.optional(),
});
export type EnsureFleetOptions = z.input<typeof EnsureFleetOptionsSchema>;

export interface FleetIdentities {
  caPath: string;
  devices: Record<string, DeviceCertificate>;
  server: ServerCertificate;
  /** What this call created; empty lists/false when everything already existed. */
  created: { ca: boolean; devices: string[]; server: boolean };
}
