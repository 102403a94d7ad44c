import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeviceCertificate,
  ensureFleet,
  initCa,
  inspectCertificate,
  issueDeviceCertificate,
  revokeTower,
} from '../../certs-tool/index.js';
import { connectWith, makeTempDir, type MtlsServer, removeDir, startMtlsServer } from './helpers.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('certificates work in real TLS', () => {
  let fleetDir: string;
  let foreignDir: string;
  let server: MtlsServer;
  let serverCa: string;
  let good: DeviceCertificate;

  beforeAll(async () => {
    fleetDir = makeTempDir('tls-fleet');
    foreignDir = makeTempDir('tls-foreign');
    const fleet = await ensureFleet(fleetDir, {
      towerIds: ['tower-ok', 'tower-revoked'],
      serverHostnames: ['localhost'],
    });
    good = fleet.devices['tower-ok']!;
    serverCa = fleet.server.caPath;
    server = await startMtlsServer(fleet.server, [fleet.caPath], fleetDir);
  });

  afterAll(async () => {
    await server.close();
    removeDir(fleetDir);
    removeDir(foreignDir);
  });

  it('accepts a device certificate issued by the fleet CA', async () => {
    const r = await connectWith(server.port, good, serverCa);
    expect(r).toEqual({ accepted: true, detail: 'welcome' });
    expect(server.accepted).toContain(good.certificateId);
  });

  it('refuses a device certificate from another CA', async () => {
    await initCa(foreignDir);
    const foreign = await issueDeviceCertificate(foreignDir, 'tower-ok');
    const r = await connectWith(server.port, foreign, serverCa);
    expect(r.accepted).toBe(false);
    expect(server.accepted).not.toContain(foreign.certificateId);
  });

  it('refuses an expired device certificate from the fleet CA', async () => {
    const twoYearsAgo = new Date(Date.now() - 2 * 365 * 86_400_000);
    const expired = await issueDeviceCertificate(fleetDir, 'tower-expired', { days: 30, now: twoYearsAgo });
    expect(
      new Date(inspectCertificate(readFileSync(expired.certPath, 'utf8')).notAfter).getTime(),
    ).toBeLessThan(Date.now());
    const r = await connectWith(server.port, expired, serverCa);
    expect(r.accepted).toBe(false);
    expect(server.accepted).not.toContain(expired.certificateId);
  });

  it('refuses a revoked certificate through the registry, and accepted it before', async () => {
    const fleet = await ensureFleet(fleetDir, {
      towerIds: ['tower-revoked'],
      serverHostnames: ['localhost'],
    });
    const revoked = fleet.devices['tower-revoked']!;
    expect((await connectWith(server.port, revoked, serverCa)).accepted).toBe(true);
    revokeTower(fleetDir, 'tower-revoked');
    const r = await connectWith(server.port, revoked, serverCa);
    expect(r).toEqual({ accepted: false, detail: 'refused: certificate not active in the registry' });
  });

  it.runIf(hasOpenssl)('openssl verify -purpose sslclient accepts the device certificate', () => {
    const out = execFileSync(
      'openssl',
      ['verify', '-purpose', 'sslclient', '-CAfile', good.caPath, good.certPath],
      {
        encoding: 'utf8',
      },
    );
    expect(out.trim()).toBe(`${good.certPath}: OK`);
  });

  it.runIf(hasOpenssl)('certificate id is the SHA-256 of the DER, as openssl computes it', () => {
    const out = execFileSync('openssl', ['x509', '-in', good.certPath, '-noout', '-fingerprint', '-sha256'], {
      encoding: 'utf8',
    });
    const fingerprint = out.trim().split('=')[1]!.replaceAll(':', '').toLowerCase();
    expect(good.certificateId).toBe(fingerprint);
  });
});
