import { assertTowerId, isTowerId } from '../protocol/index.js';
import { loadCa } from './ca.js';
import { BadCsrError, CertsToolError } from './errors.js';
import { fileExists, KEY_FILE_MODE, writeFilesAtomic } from './files.js';
import { signTowerCertificate } from './device.js';
import { certsLayout } from './layout.js';
import { validDays } from './leaf.js';
import {
  commonName,
  EC_KEY_ALGORITHM,
  exportPrivateKeyPem,
  generateKeyPair,
  SIGNING_ALGORITHM,
  x509,
} from './pki.js';
import { Registry } from './registry.js';
import { DEVICE_DEFAULT_DAYS, type IssueOptions, type SignedCertificate } from './types.js';

/** A key and a CSR with CN = towerId; the key never leaves the machine that runs this. */
export async function createCsr(towerId: string): Promise<{ csrPem: string; keyPem: string }> {
  assertTowerId(towerId);
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${towerId}`,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  return { csrPem: `${csr.toString('pem')}\n`, keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/** `device csr`: write the CSR to `out` and the key (mode 0600) to `keyOut` or the tower's directory. */
export async function createDeviceCsr(
  dir: string,
  towerId: string,
  opts: { out: string; keyOut?: string },
): Promise<{ csrPath: string; keyPath: string }> {
  const keyPath = opts.keyOut ?? certsLayout(dir).device(towerId).keyPath;
  if (fileExists(keyPath)) {
    throw new CertsToolError(`${keyPath} already exists`, 'pass --key-out <file> to keep the current key');
  }
  const { csrPem, keyPem } = await createCsr(towerId);
  writeFilesAtomic([
    { path: keyPath, content: keyPem, mode: KEY_FILE_MODE },
    { path: opts.out, content: csrPem },
  ]);
  return { csrPath: opts.out, keyPath };
}

function parseCsr(csrPem: string): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new BadCsrError(
      'input is not a PEM certificate request',
      'create one with certs-tool device csr <towerId> --out F',
    );
  }
}

/**
 * Sign a tower's CSR after checking its signature and that its CN is a valid tower id (and the one
 * expected, when given). If the tower already has a certificate this is a rotation: the old one stays
 * ACTIVE until the new one is used or confirmed.
 */
export async function signCsr(
  dir: string,
  csrPem: string,
  opts: IssueOptions & { towerId?: string; outPath?: string } = {},
): Promise<SignedCertificate> {
  const csr = parseCsr(csrPem);
  if (!(await csr.verify())) {
    throw new BadCsrError(
      'CSR signature does not verify',
      'the CSR was altered or damaged; create a new one',
    );
  }
  const cn = commonName(csr.subjectName);
  if (!isTowerId(cn)) {
    throw new BadCsrError(
      `CSR subject CN ${JSON.stringify(cn ?? null)} is not a tower id`,
      'use 1-64 characters of A-Z a-z 0-9 _ - as the CN',
    );
  }
  if (opts.towerId !== undefined && opts.towerId !== cn) {
    throw new BadCsrError(`CSR is for tower ${cn}, not ${opts.towerId}`, 'sign the CSR made by that tower');
  }
  const alg = csr.publicKey.algorithm as EcKeyAlgorithm;
  if (alg.name !== EC_KEY_ALGORITHM.name || alg.namedCurve !== EC_KEY_ALGORITHM.namedCurve) {
    throw new BadCsrError(`CSR key is ${alg.name} ${alg.namedCurve ?? ''}`.trim(), 'use an EC P-256 key');
  }
  const days = validDays(opts.days, DEVICE_DEFAULT_DAYS);
  const ca = await loadCa(dir);
  const now = opts.now ?? new Date();
  const current = Registry.load(certsLayout(dir).root).currentForTower(cn);
  const installed = await signTowerCertificate(ca, csr.publicKey, {
    dir,
    towerId: cn,
    days,
    now,
    ...(opts.outPath ? { outPath: opts.outPath } : {}),
    ...(current?.status === 'ACTIVE' ? { replaces: current.certificateId } : {}),
    expectedCurrent: current?.certificateId ?? null,
  });
  return {
    towerId: cn,
    certPath: installed.certPath,
    caPath: installed.caPath,
    certificateId: installed.certificateId,
  };
}
