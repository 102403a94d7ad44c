import { relative } from 'node:path';
import type { CertStatus, RegistryEntry } from './registry.js';
import type { x509 } from './pki.js';

/** The registry row for a certificate just written to `certPath`. */
export function registryEntry(params: {
  root: string;
  cert: x509.X509Certificate;
  certificateId: string;
  certPath: string;
  kind: RegistryEntry['kind'];
  towerId: string | null;
  now: Date;
  status?: CertStatus;
  replaces?: string;
}): RegistryEntry {
  const at = params.now.toISOString();
  return {
    certificateId: params.certificateId,
    towerId: params.towerId,
    kind: params.kind,
    status: params.status ?? 'ACTIVE',
    serial: params.cert.serialNumber,
    notBefore: params.cert.notBefore.toISOString(),
    notAfter: params.cert.notAfter.toISOString(),
    certPath: relative(params.root, params.certPath),
    createdAt: at,
    updatedAt: at,
    ...(params.replaces ? { replaces: params.replaces } : {}),
  };
}
