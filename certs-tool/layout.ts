import { join, resolve } from 'node:path';
import { assertTowerId } from '../protocol/index.js';
import { REGISTRY_FILE } from './registry.js';

/** Where certs-tool keeps its state when `--dir` is not given (git-ignored). */
export const DEFAULT_CERTS_DIR = '.towerwatch/certs';

export interface IdentityPaths {
  dir: string;
  certPath: string;
  keyPath: string;
  caPath: string;
}

export interface CertsLayout {
  root: string;
  caDir: string;
  /** The fleet CA certificate: the file a broker lists in its trusted CAs. */
  caCertPath: string;
  caKeyPath: string;
  registryPath: string;
  devicesDir: string;
  server: IdentityPaths;
  device(towerId: string): IdentityPaths;
  /** Superseded device certificates and keys, kept so registry entries keep pointing at a real file. */
  archiveDir(towerId: string, certificateId: string): string;
}

/** The one place that knows the directory layout; everything else asks it for paths. */
export function certsLayout(dir: string): CertsLayout {
  const root = resolve(dir);
  const identity = (d: string): IdentityPaths => ({
    dir: d,
    certPath: join(d, 'cert.pem'),
    keyPath: join(d, 'key.pem'),
    caPath: join(d, 'ca.pem'),
  });
  return {
    root,
    caDir: join(root, 'ca'),
    caCertPath: join(root, 'ca', 'ca.pem'),
    caKeyPath: join(root, 'ca', 'ca.key.pem'),
    registryPath: join(root, REGISTRY_FILE),
    devicesDir: join(root, 'devices'),
    server: identity(join(root, 'server')),
    device: (towerId) => identity(join(root, 'devices', assertTowerId(towerId))),
    archiveDir: (towerId, certificateId) =>
      join(root, 'devices', assertTowerId(towerId), 'archive', certificateId),
  };
}

/** Path of the fleet CA certificate of a certs directory (brokers trust one or more of these). */
export function caCertPath(dir: string): string {
  return certsLayout(dir).caCertPath;
}
