import { isIP } from 'node:net';
import { loadCa } from './ca.js';
import { CertsToolError } from './errors.js';
import { KEY_FILE_MODE, writeFilesAtomic } from './files.js';
import { certsLayout } from './layout.js';
import { signLeaf, validDays } from './leaf.js';
import { certificateId, exportPrivateKeyPem, generateKeyPair, x509 } from './pki.js';
import { registryEntry } from './records.js';
import { Registry } from './registry.js';
import { type IssueOptions, SERVER_DEFAULT_DAYS, type ServerCertificate } from './types.js';

/** Names every server certificate covers so local clients can always reach the local broker. */
export const SERVER_LOOPBACK_NAMES = ['localhost', '127.0.0.1'] as const;
const DNS_NAME =
  /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

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
  Registry.update(layout.root, (registry) => {
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
  });
  const { certPath, keyPath, caPath } = layout.server;
  return { certPath, keyPath, caPath, certificateId: id };
}
