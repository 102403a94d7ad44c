import { assertTowerId } from '../protocol/index.js';
import { type LoadedCa, loadCa } from './ca.js';
import { alreadyIssued, type InstallParams, installDeviceCertificate } from './install.js';
import { certsLayout } from './layout.js';
import { exportPrivateKeyPem, generateKeyPair, x509 } from './pki.js';
import { signLeaf, validDays } from './leaf.js';
import { Registry } from './registry.js';
import { DEVICE_DEFAULT_DAYS, type DeviceCertificate, type IssueOptions } from './types.js';

/** Signs a tower's client certificate (CN = tower id, clientAuth) for `publicKey` and installs it with the CA. */
export async function signTowerCertificate(
  ca: LoadedCa,
  publicKey: x509.PublicKeyType,
  { days, ...install }: Omit<InstallParams, 'cert' | 'caPem'> & { days: number },
): Promise<ReturnType<typeof installDeviceCertificate>> {
  const cert = await signLeaf(ca, {
    subject: `CN=${install.towerId}`,
    publicKey,
    days,
    now: install.now,
    usage: x509.ExtendedKeyUsage.clientAuth,
  });
  return installDeviceCertificate({ ...install, cert, caPem: ca.pem });
}

/** A new key and certificate for a tower (internal: rotation passes `replaces`). */
export async function issueForTower(
  dir: string,
  towerId: string,
  opts: IssueOptions & { replaces?: string; expectedCurrent?: string | null },
): Promise<DeviceCertificate> {
  const days = validDays(opts.days, DEVICE_DEFAULT_DAYS);
  const ca = await loadCa(dir);
  const now = opts.now ?? new Date();
  const keys = await generateKeyPair();
  const installed = await signTowerCertificate(ca, keys.publicKey, {
    dir,
    towerId,
    days,
    now,
    keyPem: await exportPrivateKeyPem(keys.privateKey),
    ...(opts.replaces ? { replaces: opts.replaces } : {}),
    ...(opts.expectedCurrent !== undefined && { expectedCurrent: opts.expectedCurrent }),
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
  // Early, to fail before generating a key; `expectedCurrent` checks again under the registry lock.
  const current = Registry.load(certsLayout(dir).root).currentForTower(towerId);
  if (current) throw alreadyIssued(towerId, current.certificateId, current.status);
  return issueForTower(dir, towerId, { ...opts, expectedCurrent: null });
}
