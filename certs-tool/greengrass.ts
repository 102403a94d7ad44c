import { X509Certificate } from 'node:crypto';
import { join, posix } from 'node:path';
import { rootCertificates } from 'node:tls';
import { stringify } from 'yaml';
import { assertTowerId } from '../protocol/index.js';
import { CertsToolError, UnknownTowerError } from './errors.js';
import { fileExists, KEY_FILE_MODE, readTextFile, writeFilesAtomic } from './files.js';
import { certsLayout } from './layout.js';
import { type GreengrassBundle, type GreengrassOptions, GreengrassOptionsSchema } from './types.js';

/** File names inside the Greengrass root, as the AWS manual-provisioning guide names them. */
export const GREENGRASS_FILES = {
  certificate: 'device.pem.crt',
  privateKey: 'private.pem.key',
  rootCa: 'AmazonRootCA1.pem',
  config: 'config.yaml',
} as const;

/** Amazon Root CA 1 signs IoT Core's ATS endpoints; Node ships it in its Mozilla root store. */
export function amazonRootCa1(): string {
  const pem = rootCertificates.find((c) =>
    new X509Certificate(c).subject.split('\n').includes('CN=Amazon Root CA 1'),
  );
  if (!pem)
    throw new CertsToolError(
      'Amazon Root CA 1 is not in this Node.js root store',
      'download it from https://www.amazontrust.com/repository/AmazonRootCA1.pem',
    );
  return `${pem.trim()}\n`;
}

/** The nucleus `config.yaml` for `--init-config`: where the identity files are and how to reach AWS. */
export function greengrassConfigYaml(towerId: string, options: GreengrassOptions): string {
  const o = GreengrassOptionsSchema.parse(options);
  return stringify({
    system: {
      certificateFilePath: posix.join(o.rootPath, GREENGRASS_FILES.certificate),
      privateKeyPath: posix.join(o.rootPath, GREENGRASS_FILES.privateKey),
      rootCaPath: posix.join(o.rootPath, GREENGRASS_FILES.rootCa),
      rootpath: o.rootPath,
      thingName: towerId,
    },
    services: {
      'aws.greengrass.Nucleus': {
        componentType: 'NUCLEUS',
        version: o.nucleusVersion,
        configuration: {
          awsRegion: o.region,
          iotRoleAlias: o.roleAlias,
          iotDataEndpoint: o.dataEndpoint,
          iotCredEndpoint: o.credEndpoint,
        },
      },
    },
  });
}

/**
 * Write `config.yaml` and the three files it names into one directory, ready to copy to the tower's
 * Greengrass root and run the installer with `--init-config`.
 */
export function writeGreengrassConfig(
  dir: string,
  towerId: string,
  options: GreengrassOptions,
): GreengrassBundle {
  assertTowerId(towerId);
  const parsed = GreengrassOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CertsToolError(`invalid ${issue.path.join('.')}: ${issue.message}`);
  }
  const layout = certsLayout(dir);
  const paths = layout.device(towerId);
  if (!fileExists(paths.certPath)) {
    throw new UnknownTowerError(
      `tower ${towerId} has no certificate in ${paths.dir}`,
      `run certs-tool device issue ${towerId} first`,
    );
  }
  const fix = 'run greengrass-config where the tower key lives (the CSR flow keeps it on the tower)';
  const cert = readTextFile(paths.certPath, 'device certificate', fix);
  const key = readTextFile(paths.keyPath, 'device key', fix);
  const outDir = parsed.data.outDir ?? join(layout.root, 'greengrass', towerId);
  const files = {
    certificate: join(outDir, GREENGRASS_FILES.certificate),
    privateKey: join(outDir, GREENGRASS_FILES.privateKey),
    rootCa: join(outDir, GREENGRASS_FILES.rootCa),
  };
  const configPath = join(outDir, GREENGRASS_FILES.config);
  writeFilesAtomic([
    { path: files.privateKey, content: key, mode: KEY_FILE_MODE },
    { path: files.certificate, content: cert },
    { path: files.rootCa, content: amazonRootCa1() },
    { path: configPath, content: greengrassConfigYaml(towerId, parsed.data) },
  ]);
  return { outDir, configPath, files };
}
