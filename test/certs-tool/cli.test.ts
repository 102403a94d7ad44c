import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  certsLayout,
  createCsr,
  ensureFleet,
  issueDeviceCertificate,
  Registry,
} from '../../certs-tool/index.js';
import { runCertsTool as runMain } from '../support/certs-tool.js';
import { makeTempDir, removeDir } from './helpers.js';

const BIN = join(import.meta.dirname, '../../bin/certs-tool.js');

/** Spawning costs ~0.5 s each, so only the error paths of the real binary are checked this way. */
function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: '' },
  });
  return { code: r.status, stdout: r.stdout, stderrLines: r.stderr.split('\n').filter((l) => l.length > 0) };
}

let dir: string;
let empty: string;
beforeAll(async () => {
  dir = makeTempDir('cli');
  empty = makeTempDir('cli-empty');
  await ensureFleet(dir, { towerIds: ['tower-1'] });
});
afterAll(() => {
  removeDir(dir);
  removeDir(empty);
});
afterEach(() => vi.restoreAllMocks());

describe('certs-tool binary: bad input is one line and exit 2', () => {
  it('invalid tower id', () => {
    const r = run(['device', 'issue', 'bad/id', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderrLines).toEqual([
      'certs-tool: invalid towerId "bad/id" (use 1-64 characters of A-Z a-z 0-9 _ -)',
    ]);
  });

  it('missing CA', () => {
    const r = run(['device', 'issue', 'tower-1', '--dir', empty]);
    expect(r.code).toBe(2);
    expect(r.stderrLines).toHaveLength(1);
    expect(r.stderrLines[0]).toMatch(/no fleet CA in .*run certs-tool ca init --dir/);
  });

  it('a CSR whose signature fails', async () => {
    const { csrPem } = await createCsr('tower-5');
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3]! ^= 0x55;
    const csrPath = join(empty, 'bad.csr.pem');
    writeFileSync(
      csrPath,
      `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`,
    );
    const r = run(['sign', csrPath, '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderrLines).toEqual([expect.stringMatching(/^certs-tool: CSR signature does not verify/)]);
    expect(Registry.load(dir).forTower('tower-5')).toEqual([]);
  });
});

describe('certs-tool main (in process)', () => {
  it('--help exits 0; no command and unknown options exit 2 with one line', async () => {
    const help = await runMain(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of [
      'ca',
      'device',
      'sign',
      'server',
      'inspect',
      'verify',
      'needs-renewal',
      'revoke',
      'rotate',
      'greengrass-config',
      'register',
    ]) {
      expect(help.out.join('\n')).toMatch(new RegExp(`^  ${cmd} `, 'm'));
    }
    const none = await runMain([]);
    expect(none.code).toBe(2);
    expect(none.err).toEqual(['certs-tool: missing command (run certs-tool --help)']);
    const bad = await runMain(['device', 'issue', 't9', '--days', 'ten', '--dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toHaveLength(1);
    expect(bad.err[0]).toContain('days must be a whole number');
  });

  it('needs-renewal exits 0 when the certificate must be renewed and 1 when not', async () => {
    const soon = await issueDeviceCertificate(dir, 'tower-soon', { days: 10 });
    expect((await runMain(['needs-renewal', soon.certPath, '--within', '30d'])).code).toBe(0);
    expect((await runMain(['needs-renewal', soon.certPath, '--within', '5d'])).code).toBe(1);
    const bad = await runMain(['needs-renewal', soon.certPath, '--within', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toContain('use a number and a unit');
  });

  it('verify exits 0 for a good certificate and 2 with the problem for a revoked one', async () => {
    const cert = certsLayout(dir).device('tower-1').certPath;
    const ok = await runMain(['verify', cert, '--dir', dir]);
    expect(ok.code).toBe(0);
    expect(ok.out.every((l) => l.startsWith('ok'))).toBe(true);
    expect((await runMain(['revoke', 'tower-1', '--dir', dir])).code).toBe(0);
    const revoked = await runMain(['verify', cert, '--dir', dir]);
    expect(revoked.code).toBe(2);
    expect(revoked.err).toEqual([expect.stringMatching(/REVOKED in the registry/)]);
  });

  it('inspect --json prints the certificate id; sign --out writes only the certificate', async () => {
    const { csrPem } = await createCsr('tower-remote');
    const csrPath = join(dir, 'remote.csr.pem');
    writeFileSync(csrPath, csrPem);
    const out = join(dir, 'remote-cert.pem');
    const signed = await runMain(['sign', csrPath, '--tower', 'tower-remote', '--out', out, '--dir', dir]);
    expect(signed.code).toBe(0);
    const inspected = await runMain(['inspect', out, '--json']);
    const info = JSON.parse(inspected.out.join('\n'));
    expect(info.commonName).toBe('tower-remote');
    expect(Registry.load(dir).isActive(info.certificateId)).toBe(true);
    expect(readFileSync(out, 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('register without a region fails with the fix; --dry-run needs none', async () => {
    vi.stubEnv('AWS_REGION', '');
    const noRegion = await runMain(['register', 'tower-soon', '--dir', dir]);
    expect(noRegion.code).toBe(2);
    expect(noRegion.err).toEqual(['certs-tool: no AWS region (pass --region or set AWS_REGION)']);
    const dry = await runMain(['register', 'tower-soon', '--dir', dir, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out.map((l) => l.split(' ')[0])).toContain('RegisterCertificate');
    vi.unstubAllEnvs();
  });
});
