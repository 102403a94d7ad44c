import { createPrivateKey, createPublicKey } from 'node:crypto';
import { join, relative } from 'node:path';
import { BadCsrError, CertsToolError } from './errors.js';
import { fileExists, KEY_FILE_MODE, type PendingFile, readTextFile, writeFilesAtomic } from './files.js';
import { certsLayout } from './layout.js';
import { certificateId, type x509 } from './pki.js';
import { registryEntry } from './records.js';
import { Registry } from './registry.js';
import type { SignedCertificate } from './types.js';

export function keyMatches(keyPem: string, cert: x509.X509Certificate): boolean {
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  return Buffer.from(cert.publicKey.rawData).equals(fromKey);
}

export interface InstallParams {
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
  /**
   * The tower's current certificate this run decided on (null: none; undefined: no check). Checked
   * again under the registry lock: a parallel run for the same tower may have installed one since.
   */
  expectedCurrent?: string | null;
}

/**
 * Put a device certificate in place and record it. The previous certificate (and key, when a new one
 * replaces it) is copied to the archive first, so its registry entry keeps pointing at a real file.
 */
export function installDeviceCertificate(p: InstallParams): SignedCertificate & { keyPath: string } {
  // Under the registry lock: two runs for one tower must not archive and replace the same files at once.
  return Registry.update(certsLayout(p.dir).root, (registry) => install(registry, p));
}

function install(registry: Registry, p: InstallParams): SignedCertificate & { keyPath: string } {
  // Checked here, under the lock, not before signing: two parallel runs for one tower both pass a check made earlier.
  if (p.expectedCurrent !== undefined) {
    const current = registry.currentForTower(p.towerId);
    if ((current?.certificateId ?? null) !== p.expectedCurrent) {
      if (current && p.expectedCurrent === null) {
        throw alreadyIssued(p.towerId, current.certificateId, current.status);
      }
      throw new CertsToolError(
        `tower ${p.towerId} changed certificate while this run was signing (now ${current ? `${current.certificateId.slice(0, 12)}… ${current.status}` : 'none'})`,
        `another certs-tool run for ${p.towerId} finished first; check the tower before running again`,
      );
    }
  }
  const layout = certsLayout(p.dir);
  const paths = layout.device(p.towerId);
  const certPem = `${p.cert.toString('pem')}\n`;
  const id = certificateId(certPem);
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
  return { towerId: p.towerId, certPath, keyPath: paths.keyPath, caPath, certificateId: id };
}

export function alreadyIssued(towerId: string, certificateId: string, status: string): CertsToolError {
  return new CertsToolError(
    `tower ${towerId} already has certificate ${certificateId.slice(0, 12)}… (${status})`,
    `run certs-tool rotate ${towerId} to replace it, or certs-tool revoke ${towerId} first`,
  );
}
