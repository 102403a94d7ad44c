import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  BadCsrError,
  CaExistsError,
  certificateId,
  certsLayout,
  createCsr,
  createDeviceCsr,
  ensureFleet,
  FileError,
  initCa,
  inspectCertificate,
  issueDeviceCertificate,
  issueServerCertificate,
  MissingCaError,
  needsRenewal,
  parseDuration,
  Registry,
  recordCertificateUse,
  revokeTower,
  rotateTower,
  signCsr,
  verifyCertificate,
} from '../../certs-tool/index.js';
import { makeTempDir, removeDir } from './helpers.js';

const read = (p: string) => readFileSync(p, 'utf8');
const mode = (p: string) => statSync(p).mode & 0o777;
const tmpFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));

let dir: string;
beforeEach(() => {
  dir = makeTempDir('certs');
});
afterEach(() => removeDir(dir));

describe('fleet CA', () => {
  it('is an EC P-256 CA valid for 10 years and refuses to be overwritten', async () => {
    const ca = await initCa(dir);
    const info = inspectCertificate(read(ca.caPath));
    expect(info.isCa).toBe(true);
    expect(info.keyAlgorithm).toBe('EC P-256');
    const years = (Date.parse(info.notAfter) - Date.parse(info.notBefore)) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(new X509Certificate(read(ca.caPath)).ca).toBe(true);
    expect(mode(ca.keyPath)).toBe(0o600);
    expect(read(ca.keyPath)).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const before = read(ca.caPath);
    await expect(initCa(dir)).rejects.toThrow(CaExistsError);
    expect(read(ca.caPath)).toBe(before);
  });

  it('two racing initCa calls leave exactly one consistent CA', async () => {
    const results = await Promise.allSettled([initCa(dir), initCa(dir)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(CaExistsError);
    const layout = certsLayout(dir);
    const { createPrivateKey } = await import('node:crypto');
    expect(
      new X509Certificate(read(layout.caCertPath)).checkPrivateKey(createPrivateKey(read(layout.caKeyPath))),
    ).toBe(true);
    expect(tmpFiles(dir)).toEqual([]);
  });

  it('issuing without a CA names the fix', async () => {
    await expect(issueDeviceCertificate(dir, 'tower-1')).rejects.toThrow(MissingCaError);
    await expect(issueDeviceCertificate(dir, 'tower-1')).rejects.toThrow(/certs-tool ca init/);
  });
});

describe('device certificates', () => {
  beforeEach(async () => {
    await initCa(dir);
  });

  it('writes cert, PKCS#8 key (0600) and CA in devices/<towerId>, CN = towerId, clientAuth', async () => {
    const d = await issueDeviceCertificate(dir, 'tower-7', { days: 90 });
    expect(d.certPath).toBe(join(certsLayout(dir).devicesDir, 'tower-7', 'cert.pem'));
    expect(mode(d.keyPath)).toBe(0o600);
    expect(read(d.keyPath)).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(read(d.caPath)).toBe(read(certsLayout(dir).caCertPath));
    const info = inspectCertificate(read(d.certPath));
    expect(info.commonName).toBe('tower-7');
    expect(info.extendedKeyUsage).toEqual(['clientAuth']);
    expect(info.isCa).toBe(false);
    expect(info.certificateId).toBe(d.certificateId);
    const days = (Date.parse(info.notAfter) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThan(90.1);
    const cert = new X509Certificate(read(d.certPath));
    expect(cert.checkIssued(new X509Certificate(read(d.caPath)))).toBe(true);
    expect(
      cert.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(read(d.keyPath)))),
    ).toBe(true);
    const entry = Registry.load(dir).find(d.certificateId);
    expect(entry).toMatchObject({
      towerId: 'tower-7',
      kind: 'device',
      status: 'ACTIVE',
      certPath: 'devices/tower-7/cert.pem',
    });
    expect(tmpFiles(dir)).toEqual([]);
  });

  it('rejects bad tower ids and bad validity with the field named', async () => {
    await expect(issueDeviceCertificate(dir, 'a/b')).rejects.toThrow(/towerId/);
    await expect(issueDeviceCertificate(dir, 'ok', { days: 0 })).rejects.toThrow(/days/);
    expect(existsSync(join(dir, 'devices', 'ok'))).toBe(false);
  });

  it('will not silently replace a tower that already has a certificate', async () => {
    const first = await issueDeviceCertificate(dir, 'tower-1');
    await expect(issueDeviceCertificate(dir, 'tower-1')).rejects.toThrow(/rotate tower-1/);
    expect(certificateId(read(first.certPath))).toBe(first.certificateId);
  });

  it('two parallel issues for one tower: exactly one succeeds, the other is refused and changes nothing', async () => {
    const results = await Promise.allSettled([
      issueDeviceCertificate(dir, 'tower-1'),
      issueDeviceCertificate(dir, 'tower-1'),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(String((lost[0] as PromiseRejectedResult).reason)).toMatch(
      /already has certificate .*rotate tower-1/,
    );
    const winner = (won[0] as PromiseFulfilledResult<{ certPath: string; certificateId: string }>).value;
    expect(certificateId(read(winner.certPath))).toBe(winner.certificateId);
    expect(
      Registry.load(dir)
        .forTower('tower-1')
        .map((e) => e.certificateId),
    ).toEqual([winner.certificateId]);
  });

  it('a leaf never outlives its CA, an expired CA issues nothing, and verify checks the CA itself', async () => {
    const DAY = 86_400_000;
    const dir = makeTempDir('certs-short-ca');
    onTestFinished(() => removeDir(dir));
    await initCa(dir, { days: 30, now: new Date(Date.now() - 20 * DAY) });
    const ca = new X509Certificate(read(certsLayout(dir).caCertPath));
    const leaf = await issueDeviceCertificate(dir, 'tower-1', { days: 365 });
    expect(new X509Certificate(read(leaf.certPath)).validTo).toBe(ca.validTo);

    const later = new Date(Date.now() + 11 * DAY);
    await expect(issueDeviceCertificate(dir, 'tower-2', { now: later })).rejects.toThrow(/fleet CA expired/);
    const r = await verifyCertificate(dir, read(leaf.certPath), { now: later });
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.name === 'caValidity')?.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(/fleet CA expired on .*certs-tool ca init/);
  });

  it('certificateId accepts PEM text, PEM bytes and DER', async () => {
    const d = await issueDeviceCertificate(dir, 'tower-1');
    const pem = read(d.certPath);
    const der = new X509Certificate(pem).raw;
    expect(certificateId(pem)).toBe(d.certificateId);
    expect(certificateId(Buffer.from(pem))).toBe(d.certificateId);
    expect(certificateId(der)).toBe(d.certificateId);
    expect(() => certificateId('not a certificate')).toThrow(/PEM/);
  });
});

describe('CSR split', () => {
  beforeEach(async () => {
    await initCa(dir);
  });

  it('device csr keeps the key local; sign checks signature and tower id and installs the certificate', async () => {
    const csrPath = join(dir, 'tower-9.csr.pem');
    const { keyPath } = await createDeviceCsr(dir, 'tower-9', { out: csrPath });
    expect(mode(keyPath)).toBe(0o600);
    await expect(signCsr(dir, read(csrPath), { towerId: 'tower-8' })).rejects.toThrow(
      /for tower tower-9, not tower-8/,
    );
    const signed = await signCsr(dir, read(csrPath), { towerId: 'tower-9' });
    expect(signed.towerId).toBe('tower-9');
    const cert = new X509Certificate(read(signed.certPath));
    const { createPrivateKey } = await import('node:crypto');
    expect(cert.checkPrivateKey(createPrivateKey(read(keyPath)))).toBe(true);
    expect((await verifyCertificate(dir, read(signed.certPath))).ok).toBe(true);
  });

  it('refuses a CSR whose signature fails, and one whose CN is not a tower id', async () => {
    const { csrPem } = await createCsr('tower-1');
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5]! ^= 0xff;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(signCsr(dir, tampered)).rejects.toThrow(BadCsrError);
    await expect(signCsr(dir, tampered)).rejects.toThrow(/signature/);
    await expect(signCsr(dir, 'garbage')).rejects.toThrow(/not a PEM certificate request/);
    expect(existsSync(join(dir, 'devices', 'tower-1'))).toBe(false);
    expect(Registry.load(dir).forTower('tower-1')).toEqual([]);
  });

  it('leaves no half-written files when the output path is unusable', async () => {
    const out = join(dir, 'is-a-dir');
    mkdirSync(out);
    await expect(createDeviceCsr(dir, 'tower-3', { out })).rejects.toThrow(FileError);
    expect(existsSync(certsLayout(dir).device('tower-3').keyPath)).toBe(false);
    expect(tmpFiles(dir)).toEqual([]);
  });
});

describe('server certificates', () => {
  it('names the hostnames plus localhost and 127.0.0.1, serverAuth', async () => {
    await initCa(dir);
    const s = await issueServerCertificate(dir, ['broker.local', '10.0.0.5']);
    const info = inspectCertificate(read(s.certPath));
    expect(info.subjectAltNames).toEqual([
      'DNS:broker.local',
      'IP:10.0.0.5',
      'DNS:localhost',
      'IP:127.0.0.1',
    ]);
    expect(info.extendedKeyUsage).toEqual(['serverAuth']);
    const cert = new X509Certificate(read(s.certPath));
    expect(cert.checkHost('broker.local')).toBe('broker.local');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect((await verifyCertificate(dir, read(s.certPath), { purpose: 'server' })).ok).toBe(true);
    await expect(issueServerCertificate(dir, ['bad host'])).rejects.toThrow(/invalid hostname "bad host"/);
  });
});

describe('verify, renewal', () => {
  it('reports each failed check with its fix', async () => {
    await initCa(dir);
    const other = makeTempDir('certs-other');
    try {
      await initCa(other);
      const foreign = await issueDeviceCertificate(other, 'tower-1');
      const r = await verifyCertificate(dir, read(foreign.certPath));
      expect(r.ok).toBe(false);
      expect(r.checks.find((c) => c.name === 'chain')?.ok).toBe(false);
      expect(r.problems[0]).toMatch(/not issued by the fleet CA/);
    } finally {
      removeDir(other);
    }
    const old = await issueDeviceCertificate(dir, 'tower-old', {
      days: 1,
      now: new Date(Date.now() - 10 * 86_400_000),
    });
    const expired = await verifyCertificate(dir, read(old.certPath));
    expect(expired.checks.map((c) => [c.name, c.ok])).toEqual([
      ['chain', true],
      ['caValidity', true],
      ['validity', false],
      ['keyUsage', true],
      ['registry', true],
    ]);
    expect(expired.problems).toEqual([expect.stringMatching(/expired on .* certs-tool rotate tower-old/)]);
    const server = await issueServerCertificate(dir, ['localhost']);
    const asClient = await verifyCertificate(dir, read(server.certPath));
    expect(asClient.problems.some((p) => p.includes('clientAuth'))).toBe(true);
  });

  it('needsRenewal compares the expiry with the window', async () => {
    await initCa(dir);
    const d = await issueDeviceCertificate(dir, 'tower-1', { days: 20 });
    const pem = read(d.certPath);
    expect(needsRenewal(pem, parseDuration('30d'))).toBe(true);
    expect(needsRenewal(pem, parseDuration('10d'))).toBe(false);
    expect(needsRenewal(pem, parseDuration('10d'), new Date(Date.now() + 15 * 86_400_000))).toBe(true);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(() => parseDuration('30 days')).toThrow(/30d, 12h/);
  });
});

describe('rotate, revoke, use', () => {
  beforeEach(async () => {
    await initCa(dir);
  });

  it('rotation keeps the old certificate ACTIVE until the successor is used', async () => {
    const first = await issueDeviceCertificate(dir, 'tower-1');
    const r = await rotateTower(dir, 'tower-1');
    expect(r.replaces).toBe(first.certificateId);
    expect(r.deactivated).toEqual([]);
    const next = r.issued!;
    expect(next.certificateId).not.toBe(first.certificateId);
    expect(certificateId(read(certsLayout(dir).device('tower-1').certPath))).toBe(next.certificateId);
    const reg = Registry.load(dir);
    expect(reg.isActive(first.certificateId)).toBe(true);
    expect(reg.isActive(next.certificateId)).toBe(true);
    const archived = join(dir, reg.find(first.certificateId)!.certPath);
    expect(certificateId(read(archived))).toBe(first.certificateId);

    expect(recordCertificateUse(dir, first.certificateId)).toEqual([]);
    expect(recordCertificateUse(dir, next.certificateId)).toEqual([first.certificateId]);
    const after = Registry.load(dir);
    expect(after.find(first.certificateId)?.status).toBe('INACTIVE');
    expect(after.find(next.certificateId)?.lastSeenAt).toBeDefined();
  });

  it('--confirm finishes a pending rotation without issuing again', async () => {
    const first = await issueDeviceCertificate(dir, 'tower-1');
    const pending = await rotateTower(dir, 'tower-1');
    const done = await rotateTower(dir, 'tower-1', { confirm: true });
    expect(done.issued).toBeNull();
    expect(done.deactivated).toEqual([first.certificateId]);
    expect(
      Registry.load(dir)
        .forTower('tower-1')
        .map((c) => c.status),
    ).toEqual(['INACTIVE', 'ACTIVE']);
    expect(Registry.load(dir).currentForTower('tower-1')?.certificateId).toBe(pending.issued!.certificateId);
  });

  it('revoke marks every live certificate of the tower REVOKED; then the tower can be re-issued', async () => {
    await issueDeviceCertificate(dir, 'tower-1');
    await rotateTower(dir, 'tower-1');
    const revoked = revokeTower(dir, 'tower-1');
    expect(revoked.map((e) => e.status)).toEqual(['REVOKED', 'REVOKED']);
    const check = await verifyCertificate(dir, read(certsLayout(dir).device('tower-1').certPath));
    expect(check.problems).toEqual([expect.stringMatching(/REVOKED in the registry/)]);
    expect(() => revokeTower(dir, 'tower-1')).toThrow(/no certificate to revoke/);
    await expect(rotateTower(dir, 'tower-1')).rejects.toThrow(/device issue tower-1/);
    const again = await issueDeviceCertificate(dir, 'tower-1');
    expect(Registry.load(dir).isActive(again.certificateId)).toBe(true);
  });
});

describe('ensureFleet', () => {
  it('creates the CA, devices and server once, and nothing on the second call', async () => {
    const first = await ensureFleet(dir, {
      towerIds: ['t1', 't2'],
      serverHostnames: ['localhost', 'broker'],
    });
    expect(first.created).toEqual({ ca: true, devices: ['t1', 't2'], server: true });
    const caBefore = read(first.caPath);
    const second = await ensureFleet(dir, { towerIds: ['t1', 't2'], serverHostnames: ['broker'] });
    expect(second.created).toEqual({ ca: false, devices: [], server: false });
    expect(second.devices).toEqual(first.devices);
    expect(second.server).toEqual(first.server);
    expect(read(second.caPath)).toBe(caBefore);
    const third = await ensureFleet(dir, {
      towerIds: ['t1', 't3'],
      serverHostnames: ['broker', 'other.host'],
    });
    expect(third.created).toEqual({ ca: false, devices: ['t3'], server: true });
    expect(inspectCertificate(read(third.server.certPath)).subjectAltNames).toContain('DNS:other.host');
    expect(
      Registry.load(dir)
        .entries.filter((e) => e.kind === 'server')
        .map((e) => e.status),
    ).toEqual(['INACTIVE', 'ACTIVE']);
  });

  it('rejects a bad tower id before touching the directory', async () => {
    await expect(ensureFleet(dir, { towerIds: ['ok', 'not ok'] })).rejects.toThrow(/towerIds\.1/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a corrupt registry is one clear error', async () => {
    await initCa(dir);
    writeFileSync(join(dir, 'registry.json'), '{ nope');
    await expect(issueDeviceCertificate(dir, 't1')).rejects.toThrow(/registry.json is not valid JSON/);
  });
});
