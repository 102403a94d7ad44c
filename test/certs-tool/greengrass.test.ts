import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { amazonRootCa1, certsLayout, ensureFleet, writeGreengrassConfig } from '../../certs-tool/index.js';
import { FLEET } from '../../protocol/index.js';
import { makeTempDir, removeDir } from './helpers.js';

const options = {
  region: 'eu-west-1',
  dataEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
  credEndpoint: 'xyz.credentials.iot.eu-west-1.amazonaws.com',
  roleAlias: FLEET.roleAliasName,
};

let dir: string;
beforeEach(async () => {
  dir = makeTempDir('gg');
  await ensureFleet(dir, { towerIds: ['tower-1'] });
});
afterEach(() => removeDir(dir));

describe('greengrass-config', () => {
  it('writes a nucleus config.yaml whose paths name the files written beside it', () => {
    const b = writeGreengrassConfig(dir, 'tower-1', options);
    const config = parse(readFileSync(b.configPath, 'utf8'));
    expect(config.system).toEqual({
      certificateFilePath: '/greengrass/v2/device.pem.crt',
      privateKeyPath: '/greengrass/v2/private.pem.key',
      rootCaPath: '/greengrass/v2/AmazonRootCA1.pem',
      rootpath: '/greengrass/v2',
      thingName: 'tower-1',
    });
    const nucleus = config.services['aws.greengrass.Nucleus'];
    expect(nucleus.componentType).toBe('NUCLEUS');
    expect(nucleus.configuration).toEqual({
      awsRegion: 'eu-west-1',
      iotRoleAlias: FLEET.roleAliasName,
      iotDataEndpoint: options.dataEndpoint,
      iotCredEndpoint: options.credEndpoint,
    });
    const device = certsLayout(dir).device('tower-1');
    expect(readFileSync(b.files.certificate, 'utf8')).toBe(readFileSync(device.certPath, 'utf8'));
    expect(readFileSync(b.files.privateKey, 'utf8')).toBe(readFileSync(device.keyPath, 'utf8'));
    expect(statSync(b.files.privateKey).mode & 0o777).toBe(0o600);
    expect(new X509Certificate(readFileSync(b.files.rootCa)).subject).toContain('CN=Amazon Root CA 1');
  });

  it('honours --rootpath and names a bad option', () => {
    const b = writeGreengrassConfig(dir, 'tower-1', {
      ...options,
      rootPath: '/opt/gg',
      outDir: `${dir}/bundle`,
    });
    expect(parse(readFileSync(b.configPath, 'utf8')).system.privateKeyPath).toBe('/opt/gg/private.pem.key');
    expect(() => writeGreengrassConfig(dir, 'tower-1', { ...options, region: 'Ireland' })).toThrow(
      /region must look like/,
    );
    expect(() => writeGreengrassConfig(dir, 'tower-2', options)).toThrow(/device issue tower-2/);
  });

  it('Amazon Root CA 1 comes from the Node root store and is self-signed', () => {
    const ca = new X509Certificate(amazonRootCa1());
    expect(ca.subject.split('\n')).toContain('CN=Amazon Root CA 1');
    expect(ca.verify(ca.publicKey)).toBe(true);
  });
});
