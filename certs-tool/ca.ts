import { CaExistsError, MissingCaError } from './errors.js';
import { fileExists, KEY_FILE_MODE, readTextFile, writeFilesAtomic } from './files.js';
import { certsLayout } from './layout.js';
import {
  CLOCK_SKEW_MS,
  certificateId,
  DAY_MS,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKeyPem,
  parseCertificate,
  randomSerial,
  SIGNING_ALGORITHM,
  x509,
} from './pki.js';
import { registryEntry } from './records.js';
import { Registry } from './registry.js';
import type { CaInfo, InitCaOptions } from './types.js';

export const CA_DEFAULT_DAYS = 3650;
export const CA_DEFAULT_NAME = 'CN=towerwatch fleet CA, O=towerwatch';

/** Create the fleet CA (EC P-256, CA:TRUE pathlen 0, keyCertSign + cRLSign). Never overwrites an existing CA. */
export async function initCa(dir: string, opts: InitCaOptions = {}): Promise<CaInfo> {
  const layout = certsLayout(dir);
  if (fileExists(layout.caCertPath) || fileExists(layout.caKeyPath)) {
    throw new CaExistsError(
      `a CA already exists in ${layout.caDir}`,
      'keep using it, or pass a different --dir to create another CA',
    );
  }
  const now = opts.now ?? new Date();
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: opts.name ?? CA_DEFAULT_NAME,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + (opts.days ?? CA_DEFAULT_DAYS) * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pem = cert.toString('pem');
  try {
    writeFilesAtomic([
      {
        path: layout.caKeyPath,
        content: await exportPrivateKeyPem(keys.privateKey),
        mode: KEY_FILE_MODE,
        exclusive: true,
      },
      { path: layout.caCertPath, content: `${pem}\n`, exclusive: true },
    ]);
  } catch (e) {
    if (fileExists(layout.caKeyPath))
      throw new CaExistsError(`a CA was just created in ${layout.caDir} by another process`, 'use it');
    throw e;
  }
  const id = certificateId(pem);
  Registry.update(layout.root, (registry) =>
    registry.upsert(
      registryEntry({
        root: layout.root,
        cert,
        certificateId: id,
        certPath: layout.caCertPath,
        kind: 'ca',
        towerId: null,
        now,
      }),
    ),
  );
  return { caPath: layout.caCertPath, keyPath: layout.caKeyPath, certificateId: id };
}

export interface LoadedCa {
  cert: x509.X509Certificate;
  pem: string;
  key: CryptoKey;
  caPath: string;
}

/** The fleet CA certificate alone (verification needs no private key). */
export function readCaCertificate(dir: string): { cert: x509.X509Certificate; pem: string; caPath: string } {
  const layout = certsLayout(dir);
  const fix = `run certs-tool ca init --dir ${dir} first`;
  if (!fileExists(layout.caCertPath)) throw new MissingCaError(`no fleet CA in ${layout.caDir}`, fix);
  const cert = parseCertificate(readTextFile(layout.caCertPath, 'CA certificate', fix), layout.caCertPath);
  return { cert, pem: `${cert.toString('pem')}\n`, caPath: layout.caCertPath };
}

export async function loadCa(dir: string): Promise<LoadedCa> {
  const layout = certsLayout(dir);
  const ca = readCaCertificate(dir);
  const keyPem = readTextFile(
    layout.caKeyPath,
    'CA private key',
    'restore it from backup; a CA without its key cannot sign',
  );
  return { ...ca, key: await importPrivateKeyPem(keyPem, layout.caKeyPath) };
}
