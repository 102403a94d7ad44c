import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certificateId,
  certsLayout,
  initCa,
  issueDeviceCertificate,
  issueDeviceCertificates,
  issueServerCertificate,
  numberedTowerIds,
  REGISTRY_FILE,
  Registry,
  revokeTower,
  verifyCertificate,
} from '../../certs-tool/index.js';
import { runCertsTool as runMain } from '../support/certs-tool.js';
import { connectWith, makeTempDir, removeDir, startMtlsServer } from './helpers.js';

const BIN = join(import.meta.dirname, '../../bin/certs-tool.js');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});
async function caDir(): Promise<string> {
  const d = makeTempDir('batch');
  dirs.push(d);
  await initCa(d);
  return d;
}

/** Every tower directory and every registry device entry, to show a batch left nothing half-done. */
function fleetState(dir: string) {
  const layout = certsLayout(dir);
  const onDisk = existsSync(layout.devicesDir) ? readdirSync(layout.devicesDir).sort() : [];
  const recorded = Registry.load(dir)
    .entries.filter((e) => e.kind === 'device')
    .map((e) => e.towerId)
    .sort();
  return { onDisk, recorded };
}

/** Each tower's files are the certificate the registry lists, ACTIVE and chaining to the fleet CA. */
async function expectIssued(dir: string, towerIds: readonly string[]) {
  const registry = Registry.load(dir);
  for (const towerId of towerIds) {
    const paths = certsLayout(dir).device(towerId);
    const pem = readFileSync(paths.certPath, 'utf8');
    const v = await verifyCertificate(dir, pem);
    expect(v.problems).toEqual([]);
    expect(v.towerId).toBe(towerId);
    expect(registry.forTower(towerId).map((e) => e.certificateId)).toEqual([certificateId(pem)]);
    expect(statSync(paths.keyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(paths.caPath, 'utf8')).toBe(readFileSync(certsLayout(dir).caCertPath, 'utf8'));
  }
}

describe('issueDeviceCertificates', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await caDir();
  });

  it('issues every tower of the batch, signed concurrently, certificates that verify against the fleet CA', async () => {
    const ids = numberedTowerIds({ count: 12, prefix: 'tw-' });
    const r = await issueDeviceCertificates(dir, ids, { concurrency: 4, chunkSize: 5 });
    expect(r.issued.map((c) => c.towerId)).toEqual(ids);
    expect(r.skipped).toEqual([]);
    await expectIssued(dir, ids);
    expect(fleetState(dir)).toEqual({ onDisk: ids, recorded: ids });
  });

  it('the certificates open a mutual-TLS session as the broker checks towers', async () => {
    const server = await issueServerCertificate(dir, ['localhost']);
    const mtls = await startMtlsServer(server, [certsLayout(dir).caCertPath], dir);
    try {
      const r = await connectWith(mtls.port, certsLayout(dir).device('tw-07'), server.caPath);
      expect(r).toEqual({ accepted: true, detail: 'welcome' });
    } finally {
      await mtls.close();
    }
  });

  it('never overwrites a tower that already has a certificate: it is skipped and left as it was', async () => {
    const d = await caDir();
    const existing = await issueDeviceCertificate(d, 'tw-2');
    const before = readFileSync(existing.keyPath, 'utf8');
    const r = await issueDeviceCertificates(d, numberedTowerIds({ count: 4, prefix: 'tw-' }));
    expect(r.skipped).toEqual(['tw-2']);
    expect(r.issued.map((c) => c.towerId)).toEqual(['tw-1', 'tw-3', 'tw-4']);
    expect(readFileSync(existing.keyPath, 'utf8')).toBe(before);
    expect(
      Registry.load(d)
        .forTower('tw-2')
        .map((e) => e.certificateId),
    ).toEqual([existing.certificateId]);
    const again = await issueDeviceCertificates(d, numberedTowerIds({ count: 4, prefix: 'tw-' }));
    expect(again).toEqual({ issued: [], skipped: ['tw-1', 'tw-2', 'tw-3', 'tw-4'], recovered: [] });
  });

  it('a revoked tower or a stray directory stops the batch before anything is written', async () => {
    const d = await caDir();
    await issueDeviceCertificate(d, 'tw-2');
    revokeTower(d, 'tw-2');
    const before = fleetState(d);
    await expect(issueDeviceCertificates(d, ['tw-1', 'tw-2', 'tw-3'])).rejects.toThrow(
      'tower tw-2 has only revoked certificates (issue it on its own with certs-tool device issue tw-2, or leave it out of the batch)',
    );
    mkdirSync(certsLayout(d).device('tw-9').dir);
    writeFileSync(certsLayout(d).device('tw-9').keyPath, 'from certs-tool device csr');
    await expect(issueDeviceCertificates(d, ['tw-1', 'tw-9'])).rejects.toThrow(
      /tw-9 exists without a certificate the registry lists/,
    );
    expect(fleetState(d)).toEqual({ ...before, onDisk: [...before.onDisk, 'tw-9'] });
  });

  it('a tower an interrupted run wrote but did not record is checked and recorded, not re-issued', async () => {
    const d = await caDir();
    const first = await issueDeviceCertificates(d, ['tw-1', 'tw-2', 'tw-3']);
    // The run died between putting tw-2 and tw-3 in place and saving the registry.
    const file = join(d, REGISTRY_FILE);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    data.certificates = data.certificates.filter(
      (c: { towerId: string }) => !['tw-2', 'tw-3'].includes(c.towerId),
    );
    writeFileSync(file, JSON.stringify(data));
    const r = await issueDeviceCertificates(d, ['tw-1', 'tw-2', 'tw-3', 'tw-4']);
    expect(r.recovered).toEqual(['tw-2', 'tw-3']);
    expect(r.skipped).toEqual(['tw-1']);
    expect(r.issued.map((c) => c.towerId)).toEqual(['tw-4']);
    const ids = (t: string) =>
      Registry.load(d)
        .forTower(t)
        .map((e) => e.certificateId);
    expect(ids('tw-2')).toEqual([first.issued[1]!.certificateId]);
    await expectIssued(d, ['tw-1', 'tw-2', 'tw-3', 'tw-4']);
  });

  it('a stopped run (kill -9) leaves no half-written tower, and running it again finishes the batch', async () => {
    const d = await caDir();
    const args = ['device', 'issue', '--count', '400', '--prefix', 'k-', '--dir', d];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        if (s.includes('towers')) child.kill('SIGKILL'); // after the first chunks are recorded
      });
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
    const stopped = fleetState(d);
    const complete = stopped.onDisk.filter((n) => !n.startsWith('.'));
    expect(complete.length).toBeGreaterThan(0);
    expect(complete.length).toBeLessThan(400);
    // Every directory in place is whole; the registry lags it by at most the chunk being recorded.
    for (const t of complete)
      expect(readdirSync(certsLayout(d).device(t).dir).sort()).toEqual(['ca.pem', 'cert.pem', 'key.pem']);
    expect(stopped.recorded.every((t) => complete.includes(t!))).toBe(true);

    const again = await runMain([...args, '--quiet']);
    expect(again.err).toEqual([]);
    expect(again.code).toBe(0);
    const all = numberedTowerIds({ count: 400, prefix: 'k-' });
    expect(fleetState(d).recorded).toEqual(all);
    expect(fleetState(d).onDisk.filter((n) => !n.startsWith('.'))).toEqual(all);
    await expectIssued(d, [all[0]!, complete.at(-1)!, all.at(-1)!]);
  }, 60_000);
});

describe('certs-tool device issue (batch flags)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await caDir();
  });

  it('--count/--prefix/--start name the towers; the summary goes to stdout', async () => {
    const r = await runMain([
      'device',
      'issue',
      '--count',
      '3',
      '--prefix',
      'ct-',
      '--start',
      '9',
      '--dir',
      dir,
      '--quiet',
    ]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^issued +3$/);
    expect(fleetState(dir).recorded).toEqual(['ct-09', 'ct-10', 'ct-11']);
    const again = await runMain([
      'device',
      'issue',
      '--count',
      '4',
      '--prefix',
      'ct-',
      '--start',
      '8',
      '--dir',
      dir,
      '--quiet',
    ]);
    expect(again.out.slice(0, 2)).toEqual(['issued   1', 'skipped  3 (already issued: ct-09, ct-10, ct-11)']);
  });

  it('--from-file issues the listed towers; a bad line is one line naming it, and nothing is written', async () => {
    const list = join(dir, 'towers.txt');
    writeFileSync(list, '# site A\nft-a\n\nft-b  # spare\n');
    expect((await runMain(['device', 'issue', '--from-file', list, '--dir', dir, '--quiet'])).code).toBe(0);
    expect(fleetState(dir).recorded).toContain('ft-b');
    const before = fleetState(dir);
    writeFileSync(list, 'ft-c\nft-d\n# ok so far\nft e\n');
    const bad = await runMain(['device', 'issue', '--from-file', list, '--dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual([
      `certs-tool: ${list} line 4: invalid tower id "ft e" (tower id must be 1-64 characters of A-Z a-z 0-9 _ -, one per line)`,
    ]);
    expect(fleetState(dir)).toEqual(before);
  });

  it('a tower id with a batch flag, or both batch flags, is one clear line', async () => {
    const both = await runMain(['device', 'issue', 'tw-1', '--count', '2', '--dir', dir]);
    expect(both.code).toBe(2);
    expect(both.err).toEqual([
      'certs-tool: tower id tw-1 given with --count (pass either one tower id or a batch flag, not both)',
    ]);
    const two = await runMain(['device', 'issue', '--count', '2', '--from-file', 'x', '--dir', dir]);
    expect(two.err).toEqual(['certs-tool: --count and --from-file cannot be combined (choose one of them)']);
    const single = await runMain(['device', 'issue', 'solo-1', '--dir', dir]);
    expect(single.code).toBe(0);
    expect(single.out.map((l) => l.split(/ +/)[0])).toEqual(['cert', 'key', 'ca', 'id']);
  });

  it('without a terminal, progress is a plain line every 10% on stderr; --quiet prints none', () => {
    const d = makeTempDir('batch-progress');
    dirs.push(d);
    const run = (extra: string[]) =>
      spawnSync(process.execPath, [BIN, 'device', 'issue', '--count', '120', '--dir', d, ...extra], {
        encoding: 'utf8',
      });
    spawnSync(process.execPath, [BIN, 'ca', 'init', '--dir', d]);
    const r = run(['--prefix', 'p-']);
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l);
    // 50-tower chunks: 50, 100 and 120 of 120 cross the 40%, 80% and 100% steps.
    expect(lines.map((l) => l.replace(/ \d+:\d\d eta \d+:\d\d$/, ''))).toEqual([
      'certs-tool: 50/120 towers',
      'certs-tool: 100/120 towers',
      'certs-tool: 120/120 towers',
    ]);
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).not.toContain('\x1b');
    const quiet = run(['--prefix', 'q-', '--quiet']);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/^issued +120$/m);
  });
});
