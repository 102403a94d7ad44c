import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { initCa } from './ca.js';
import { CaExistsError, CertsToolError } from './errors.js';
import { fileExists } from './files.js';
import { issueForTower } from './device.js';
import { issueServerCertificate, SERVER_LOOPBACK_NAMES } from './server.js';
import { certsLayout } from './layout.js';
import { certificateId } from './pki.js';
import {
  type DeviceCertificate,
  type EnsureFleetOptions,
  EnsureFleetOptionsSchema,
  type FleetIdentities,
  type ServerCertificate,
} from './types.js';

/** A server certificate is reusable while it chains to the current CA, is valid and names every host. */
function serverCertificateFits(certPath: string, caPath: string, hostnames: string[], now: Date): boolean {
  const cert = new X509Certificate(readFileSync(certPath));
  const ca = new X509Certificate(readFileSync(caPath));
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return false;
  const names = new Set((cert.subjectAltName ?? '').split(', '));
  return [...hostnames, ...SERVER_LOOPBACK_NAMES].every((h) =>
    names.has(isIP(h) ? `IP Address:${h}` : `DNS:${h.toLowerCase()}`),
  );
}

/**
 * Make sure the directory holds a CA, a certificate for every tower and a server certificate for the
 * hostnames. Idempotent and cheap when all exist (file checks and hashes only); it never re-issues a
 * revoked tower's files, so a revocation survives restarts of the local stack.
 */
export async function ensureFleet(dir: string, options: EnsureFleetOptions): Promise<FleetIdentities> {
  const parsed = EnsureFleetOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CertsToolError(`ensureFleet: ${issue.path.join('.')}: ${issue.message}`);
  }
  const opts = parsed.data;
  const layout = certsLayout(dir);
  const now = new Date();
  const created: FleetIdentities['created'] = { ca: false, devices: [], server: false };
  if (!fileExists(layout.caCertPath)) {
    try {
      await initCa(dir);
      created.ca = true;
    } catch (e) {
      // Another process (a second `npm start`, a parallel test) won the race: use its CA.
      if (!(e instanceof CaExistsError)) throw e;
    }
  }
  const issueOpts = opts.days === undefined ? {} : { days: opts.days };
  const devices: Record<string, DeviceCertificate> = {};
  for (const towerId of new Set(opts.towerIds)) {
    const paths = layout.device(towerId);
    if (fileExists(paths.certPath) && fileExists(paths.keyPath)) {
      const { certPath, keyPath, caPath } = paths;
      devices[towerId] = { certPath, keyPath, caPath, certificateId: certificateId(readFileSync(certPath)) };
    } else {
      devices[towerId] = await issueForTower(dir, towerId, issueOpts);
      created.devices.push(towerId);
    }
  }
  let server: ServerCertificate;
  const s = layout.server;
  if (
    !created.ca &&
    fileExists(s.certPath) &&
    fileExists(s.keyPath) &&
    serverCertificateFits(s.certPath, layout.caCertPath, opts.serverHostnames, now)
  ) {
    server = {
      certPath: s.certPath,
      keyPath: s.keyPath,
      caPath: s.caPath,
      certificateId: certificateId(readFileSync(s.certPath)),
    };
  } else {
    server = await issueServerCertificate(dir, opts.serverHostnames, issueOpts);
    created.server = true;
  }
  return { caPath: layout.caCertPath, devices, server, created };
}
