import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  certificateId,
  certsLayout,
  createCsr,
  initCa,
  issueDeviceCertificate,
  Registry,
  rotateTower,
  signCsr,
} from '../../certs-tool/index.js';
import { makeTempDir, removeDir } from './helpers.js';

const BIN = join(import.meta.dirname, '../../bin/certs-tool.js');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});
async function caDir(): Promise<string> {
  const d = makeTempDir('parallel');
  dirs.push(d);
  await initCa(d);
  return d;
}

function runBin(args: string[]): Promise<{ code: number | null; stderrLines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, AWS_REGION: '' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderrLines: stderr.split('\n').filter((l) => l) }));
  });
}

/** The one certificate the tower is left with, and proof its files on disk are that certificate. */
function onlyCertificate(dir: string, towerId: string): string {
  const certs = Registry.load(dir).forTower(towerId);
  expect(certs).toHaveLength(1);
  const onDisk = certificateId(readFileSync(certsLayout(dir).device(towerId).certPath, 'utf8'));
  expect(onDisk).toBe(certs[0]!.certificateId);
  return onDisk;
}

function settledOne<T>(results: PromiseSettledResult<T>[]): { value: T; reason: Error } {
  const ok = results.filter((r) => r.status === 'fulfilled');
  const failed = results.filter((r) => r.status === 'rejected');
  expect(ok).toHaveLength(1);
  expect(failed).toHaveLength(1);
  return { value: ok[0]!.value, reason: failed[0]!.reason as Error };
}

describe('parallel certs-tool runs for one tower (issue 12 item 14)', () => {
  it('device issue from two processes: one exits 0, the other exits 2 with one line', async () => {
    const dir = await caDir();
    const runs = await Promise.all([1, 2].map(() => runBin(['device', 'issue', 'tower-2', '--dir', dir])));
    expect(runs.map((r) => r.code).sort()).toEqual([0, 2]);
    const failed = runs.find((r) => r.code === 2)!;
    expect(failed.stderrLines).toEqual([
      expect.stringMatching(/^certs-tool: tower tower-2 already has certificate [0-9a-f]{12}… \(ACTIVE\)/),
    ]);
    onlyCertificate(dir, 'tower-2');
  });

  it('rotate: exactly one successor is issued, the other run fails with one clear line', async () => {
    const dir = await caDir();
    const first = await issueDeviceCertificate(dir, 'tower-3');
    const { value, reason } = settledOne(
      await Promise.allSettled([rotateTower(dir, 'tower-3'), rotateTower(dir, 'tower-3')]),
    );
    expect(reason.message).toMatch(/^tower tower-3 changed certificate while this run was signing/);
    expect(reason.message.split('\n')).toHaveLength(1);
    const certs = Registry.load(dir).forTower('tower-3');
    expect(certs.map((c) => [c.certificateId, c.replaces])).toEqual([
      [first.certificateId, undefined],
      [value.issued!.certificateId, first.certificateId],
    ]);
  });

  it("sign: two CSRs for a tower without a certificate don't both become its first one", async () => {
    const dir = await caDir();
    const [a, b] = await Promise.all([createCsr('tower-4'), createCsr('tower-4')]);
    const { value } = settledOne(await Promise.allSettled([signCsr(dir, a.csrPem), signCsr(dir, b.csrPem)]));
    const certs = Registry.load(dir).forTower('tower-4');
    expect(certs.map((c) => c.certificateId)).toEqual([value.certificateId]);
  });
});
