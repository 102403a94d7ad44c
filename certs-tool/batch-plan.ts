import type { LoadedCa } from './ca.js';
import { CertsToolError } from './errors.js';
import { fileExists, readTextFile } from './files.js';
import { keyMatches } from './install.js';
import type { CertsLayout } from './layout.js';
import { certificateId, commonName, parseCertificate, type x509 } from './pki.js';
import type { Registry } from './registry.js';

/** A tower whose files a batch wrote before it was stopped, and that the registry does not list yet. */
export interface Unrecorded {
  towerId: string;
  cert: x509.X509Certificate;
  certificateId: string;
  certPath: string;
}

export interface BatchPlan {
  /** towers with no certificate and no directory: issue these */
  issue: string[];
  /** towers that already have a current certificate: left as they are */
  skipped: string[];
  /** complete tower directories from an interrupted run: recorded, not re-issued */
  unrecorded: Unrecorded[];
}

/**
 * Decides what a batch does with each tower before any key is made. A tower with a current
 * certificate is skipped (so re-running an interrupted batch finishes it and overwrites nothing);
 * anything else the batch cannot account for stops the whole batch with one line, before it writes.
 */
export async function planBatch(
  registry: Registry,
  layout: CertsLayout,
  ca: LoadedCa,
  towerIds: readonly string[],
): Promise<BatchPlan> {
  const plan: BatchPlan = { issue: [], skipped: [], unrecorded: [] };
  const current = registry.currentByTower();
  for (const towerId of new Set(towerIds)) {
    if (current.has(towerId)) plan.skipped.push(towerId);
    else if (!fileExists(layout.device(towerId).dir)) plan.issue.push(towerId);
    else plan.unrecorded.push(await unrecordedTower(registry, layout, ca, towerId));
  }
  return plan;
}

function keyFits(keyPem: string, cert: x509.X509Certificate): boolean {
  try {
    return keyMatches(keyPem, cert);
  } catch {
    return false; // not a key at all: the same answer as a key of another certificate
  }
}

/**
 * A directory without a current certificate is either a batch's tower written just before the run
 * stopped (its directory appears whole, by one rename, before the registry is saved), or something
 * the batch must not touch: a revoked tower, a key from `device csr`, a hand-made file.
 */
async function unrecordedTower(
  registry: Registry,
  layout: CertsLayout,
  ca: LoadedCa,
  towerId: string,
): Promise<Unrecorded> {
  const paths = layout.device(towerId);
  const solo = `issue it on its own with certs-tool device issue ${towerId}, or leave it out of the batch`;
  if (registry.forTower(towerId).length > 0)
    throw new CertsToolError(`tower ${towerId} has only revoked certificates`, solo);
  const refuse = (why: string) => new CertsToolError(`${paths.dir} ${why}`, solo);
  if (![paths.certPath, paths.keyPath, paths.caPath].every(fileExists))
    throw refuse('exists without a certificate the registry lists');
  const certPem = readTextFile(paths.certPath, 'device certificate', 'check the file permissions');
  const cert = parseCertificate(certPem, paths.certPath);
  const chains =
    cert.issuer === ca.cert.subject &&
    (await cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }));
  const keyPem = readTextFile(paths.keyPath, 'device key', 'check the file permissions');
  if (!chains || commonName(cert.subjectName) !== towerId || !keyFits(keyPem, cert))
    throw refuse(
      'holds a certificate the registry does not list and the fleet CA did not issue to this tower',
    );
  return { towerId, cert, certificateId: certificateId(certPem), certPath: paths.certPath };
}
