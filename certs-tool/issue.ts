import { createPrivateKey, createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import { join, relative } from 'node:path';
import { assertTowerId, isTowerId } from '../protocol/index.js';
import { type LoadedCa, loadCa } from './ca.js';
import { BadCsrError, CertsToolError } from './errors.js';
import { fileExists, KEY_FILE_MODE, type PendingFile, readTextFile, writeFilesAtomic } from './files.js';
import { certsLayout } from './layout.js';
import {
  CLOCK_SKEW_MS,
  certificateId,
  commonName,
  DAY_MS,
  EC_KEY_ALGORITHM,
  exportPrivateKeyPem,
  generateKeyPair,
  randomSerial,
  SIGNING_ALGORITHM,
  x509,
} from './pki.js';
import { registryEntry } from './records.js';
import { Registry } from './registry.js';
import {
  DaysSchema,
  DEVICE_DEFAULT_DAYS,
  type DeviceCertificate,
  type IssueOptions,
  SERVER_DEFAULT_DAYS,
  type ServerCertificate,
  type SignedCertificate,
} from './types.js';

/** Names every server certificate covers so local clients can always reach the local broker. */
export const SERVER_LOOPBACK_NAMES = ['localhost', '127.0.0.1'] as const;
const DNS_NAME =
  /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

interface LeafParams {
  subject: string;
  publicKey: x509.PublicKeyType;
  days: number;
  now: Date;
  usage: x509.ExtendedKeyUsage;
  altNames?: x509.JsonGeneralNames;
}

function validDays(days: number | undefined, fallback: number): number {
  const parsed = DaysSchema.safeParse(days ?? fallback);
  if (!parsed.success) throw new CertsToolError(`invalid --days ${days}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

async function signLeaf(ca: LoadedCa, p: LeafParams): Promise<x509.X509Certificate> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([p.usage], false),
    await x509.SubjectKeyIdentifierExtension.create(p.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (p.altNames) extensions.push(new x509.SubjectAlternativeNameExtension(p.altNames, false));
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: p.subject,
    issuer: ca.cert.subjectName,
    notBefore: new Date(p.now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(p.now.getTime() + p.days * DAY_MS),
    publicKey: p.publicKey,
    signingKey: ca.key,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
}

function keyMatches(keyPem: string, cert: x509.X509Certificate): boolean {
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  return Buffer.from(cert.publicKey.rawData).equals(fromKey);
}

interface InstallParams {
  dir: string;
  towerId: string;
  cert: x509.X509Certificate;
  caPem: string;
  now: Date;
  /** a freshly generated key to install with the certificate; absent for CSR signing */
  keyPem?: string;
  /** write only this file instead of the tower's directory (CSR signed for another machine) */
  outPath?: string;
  replaces?: string;
}

/**
 * Put a device certificate in place and record it. The previous certificate (and key, when a new one
 * replaces it) is copied to the archive first, so its registry entry keeps pointing at a real file.
 */
function installDeviceCertificate(p: InstallParams): SignedCertificate & { keyPath: string } {
  const layout = certsLayout(p.dir);
  const paths = layout.device(p.towerId);
  const certPem = `${p.cert.toString('pem')}\n`;
  const id = certificateId(certPem);
  const registry = Registry.load(layout.root);
  const files: PendingFile[] = [];
  let certPath = paths.certPath;
  let caPath = paths.caPath;
  if (p.outPath) {
    certPath = p.outPath;
    caPath = layout.caCertPath;
    files.push({ path: certPath, content: certPem });
  } else {
    if (!p.keyPem && fileExists(paths.keyPath)) {
      const existing = readTextFile(paths.keyPath, 'device key', 'check the file permissions');
      if (!keyMatches(existing, p.cert)) {
        throw new BadCsrError(
          `${paths.keyPath} does not hold the key of this CSR`,
          'pass --out <file> to write the certificate elsewhere',
        );
      }
    }
    if (fileExists(paths.certPath)) {
      const oldPem = readTextFile(paths.certPath, 'device certificate', 'check the file permissions');
      const oldId = certificateId(oldPem);
      const archive = layout.archiveDir(p.towerId, oldId);
      files.push({ path: join(archive, 'cert.pem'), content: oldPem });
      if (p.keyPem && fileExists(paths.keyPath)) {
        files.push({
          path: join(archive, 'key.pem'),
          content: readTextFile(paths.keyPath, 'device key', 'check the file permissions'),
          mode: KEY_FILE_MODE,
        });
      }
      const old = registry.find(oldId);
      if (old) registry.upsert({ ...old, certPath: relative(layout.root, join(archive, 'cert.pem')) });
    }
    if (p.keyPem) files.push({ path: paths.keyPath, content: p.keyPem, mode: KEY_FILE_MODE });
    files.push({ path: paths.caPath, content: p.caPem }, { path: paths.certPath, content: certPem });
  }
  writeFilesAtomic(files);
  registry.upsert(
    registryEntry({
      root: layout.root,
      cert: p.cert,
      certificateId: id,
      certPath,
      kind: 'device',
      towerId: p.towerId,
      now: p.now,
      ...(p.replaces ? { replaces: p.replaces } : {}),
    }),
  );
  registry.save();
  return { towerId: p.towerId, certPath, keyPath: paths.keyPath, caPath, certificateId: id };
}

/**
 * The proof-of-possession certificate AWS IoT asks for when registering a CA: CN = the account's
 * registration code, signed by the CA. It is sent once and never stored.
 */
export async function signVerificationCertificate(dir: string, registrationCode: string): Promise<string> {
  const ca = await loadCa(dir);
  const keys = await generateKeyPair();
  const cert = await signLeaf(ca, {
    subject: `CN=${registrationCode}`,
    publicKey: keys.publicKey,
    days: 1,
    now: new Date(),
    usage: x509.ExtendedKeyUsage.clientAuth,
  });
  return `${cert.toString('pem')}\n`;
}

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
  const cert = await signLeaf(ca, {
    subject: `CN=${cn}`,
    publicKey: csr.publicKey,
    days,
    now,
    usage: x509.ExtendedKeyUsage.clientAuth,
  });
  const installed = installDeviceCertificate({
    dir,
    towerId: cn,
    cert,
    caPem: ca.pem,
    now,
    ...(opts.outPath ? { outPath: opts.outPath } : {}),
    ...(current?.status === 'ACTIVE' ? { replaces: current.certificateId } : {}),
  });
  return {
    towerId: cn,
    certPath: installed.certPath,
    caPath: installed.caPath,
    certificateId: installed.certificateId,
  };
}

function altNames(hostnames: string[]): x509.JsonGeneralNames {
  const names = [...new Set([...hostnames, ...SERVER_LOOPBACK_NAMES])];
  return names.map((h) => {
    if (isIP(h)) return { type: 'ip', value: h };
    if (!DNS_NAME.test(h)) {
      throw new CertsToolError(
        `invalid hostname ${JSON.stringify(h)}`,
        'use a DNS name like broker.local or an IP address',
      );
    }
    return { type: 'dns', value: h.toLowerCase() };
  });
}

/** TLS server certificate for the local broker: serverAuth, SANs for the hostnames plus localhost/127.0.0.1. */
export async function issueServerCertificate(
  dir: string,
  hostnames: string[],
  opts: IssueOptions = {},
): Promise<ServerCertificate> {
  const names = altNames(hostnames);
  const days = validDays(opts.days, SERVER_DEFAULT_DAYS);
  const ca = await loadCa(dir);
  const now = opts.now ?? new Date();
  const layout = certsLayout(dir);
  const keys = await generateKeyPair();
  const cert = await signLeaf(ca, {
    subject: `CN=${names[0]!.value}`,
    publicKey: keys.publicKey,
    days,
    now,
    usage: x509.ExtendedKeyUsage.serverAuth,
    altNames: names,
  });
  const certPem = `${cert.toString('pem')}\n`;
  writeFilesAtomic([
    { path: layout.server.keyPath, content: await exportPrivateKeyPem(keys.privateKey), mode: KEY_FILE_MODE },
    { path: layout.server.caPath, content: ca.pem },
    { path: layout.server.certPath, content: certPem },
  ]);
  const id = certificateId(certPem);
  const registry = Registry.load(layout.root);
  for (const old of registry.entries.filter((e) => e.kind === 'server' && e.status === 'ACTIVE')) {
    registry.setStatus(old.certificateId, 'INACTIVE', now);
  }
  registry.upsert(
    registryEntry({
      root: layout.root,
      cert,
      certificateId: id,
      certPath: layout.server.certPath,
      kind: 'server',
      towerId: null,
      now,
    }),
  );
  registry.save();
  const { certPath, keyPath, caPath } = layout.server;
  return { certPath, keyPath, caPath, certificateId: id };
}
