import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  certsLayout,
  initCa,
  issueDeviceCertificate,
  loadCa,
  verifyCertificate,
} from '../../certs-tool/index.js';
import { generateKeyPair, randomSerial, SIGNING_ALGORITHM, x509 } from '../../certs-tool/pki.js';
import { makeTempDir, removeDir } from './helpers.js';

const DAY_MS = 86_400_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});
async function caDir(opts: { days: number; now: Date }): Promise<string> {
  const d = makeTempDir('ca-validity');
  dirs.push(d);
  await initCa(d, opts);
  return d;
}
const read = (path: string) => readFileSync(path, 'utf8');
const caCheck = (r: Awaited<ReturnType<typeof verifyCertificate>>) =>
  r.checks.find((c) => c.name === 'caValidity');

describe("certs-tool and the CA's own validity (issue 12 item 14)", () => {
  it('verify fails with one line naming the fix when the fleet CA is not valid yet', async () => {
    const dir = await caDir({ days: 365, now: new Date(Date.now() + 10 * DAY_MS) });
    const leaf = await issueDeviceCertificate(dir, 'tower-1');
    const r = await verifyCertificate(dir, read(leaf.certPath));
    expect(r.ok).toBe(false);
    expect(caCheck(r)?.ok).toBe(false);
    expect(r.problems).toEqual([
      expect.stringMatching(/^the fleet CA is not valid before \S+ \(check the system clock\)$/),
    ]);
  });

  it('verify flags a leaf that outlives its CA, and issuing clamps a leaf to the CA', async () => {
    const dir = await caDir({ days: 30, now: new Date() });
    const ca = await loadCa(dir);
    // Signed by hand, as another tool (or an older certs-tool) would: valid for a year under a 30-day CA.
    const keys = await generateKeyPair();
    const outliving = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: 'CN=tower-long',
      issuer: ca.cert.subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 365 * DAY_MS),
      publicKey: keys.publicKey,
      signingKey: ca.key,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
    });
    const r = await verifyCertificate(dir, outliving.toString('pem'));
    expect(caCheck(r)?.ok).toBe(false);
    expect(r.problems).toContainEqual(
      expect.stringMatching(
        /^certificate is valid until \S+, after its CA expires on \S+ \(re-issue it with certs-tool rotate tower-long\)$/,
      ),
    );

    const issued = await issueDeviceCertificate(dir, 'tower-1', { days: 365 });
    const caCert = new X509Certificate(read(certsLayout(dir).caCertPath));
    expect(new X509Certificate(read(issued.certPath)).validTo).toBe(caCert.validTo);
    const ok = await verifyCertificate(dir, read(issued.certPath));
    expect(ok.ok).toBe(true);
    expect(caCheck(ok)?.ok).toBe(true);
  });
});
