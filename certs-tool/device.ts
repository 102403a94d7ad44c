import { assertTowerId } from '../protocol/index.js';
import { loadCa } from './ca.js';
import { CertsToolError } from './errors.js';
import { installDeviceCertificate } from './install.js';
import { certsLayout } from './layout.js';
import { exportPrivateKeyPem, generateKeyPair, x509 } from './pki.js';
import { signLeaf, validDays } from './leaf.js';
import { Registry } from './registry.js';
import { DEVICE_DEFAULT_DAYS, type DeviceCertificate, type IssueOptions } from './types.js';

/** A new key and certificate for a tower (internal: rotation passes `replaces`). */
export async function issueForTower(
  dir: string,
  towerId: string,
  opts: IssueOptions & { replaces?: string },
): Promise<DeviceCertificate> {
  const days = validDays(opts.days, DEVICE_DEFAULT_DAYS);
  const ca = await loadCa(dir);
  const now = opts.now ?? new Date();
  const keys = await generateKeyPair();
  const cert = await signLeaf(ca, {
    subject: `CN=${towerId}`,
    publicKey: keys.publicKey,
    days,
    now,
    usage: x509.ExtendedKeyUsage.clientAuth,
  });
  const installed = installDeviceCertificate({
    dir,
    towerId,
    cert,
    caPem: ca.pem,
    now,
    keyPem: await exportPrivateKeyPem(keys.privateKey),
    ...(opts.replaces ? { replaces: opts.replaces } : {}),
  });
  return {
    certPath: installed.certPath,
    keyPath: installed.keyPath,
    caPath: installed.caPath,
    certificateId: installed.certificateId,
  };
}

/** Key + CA-signed certificate for a tower without one: `D/devices/<towerId>/{cert,key,ca}.pem`. */
export async function issueDeviceCertificate(
  dir: string,
  towerId: string,
  opts: IssueOptions = {},
): Promise<DeviceCertificate> {
  assertTowerId(towerId);
  const current = Registry.load(certsLayout(dir).root).currentForTower(towerId);
  if (current) {
    throw new CertsToolError(
      `tower ${towerId} already has certificate ${current.certificateId.slice(0, 12)}… (${current.status})`,
      `run certs-tool rotate ${towerId} to replace it, or certs-tool revoke ${towerId} first`,
    );
  }
  return issueForTower(dir, towerId, opts);
}
