import { isTowerId } from '../protocol/index.js';
import { readCaCertificate } from './ca.js';
import { certsLayout } from './layout.js';
import { certificateId, commonName, parseCertificate, x509 } from './pki.js';
import { Registry } from './registry.js';
import type { VerifyCheck, VerifyResult } from './types.js';

export interface VerifyOptions {
  now?: Date;
  /** `client` (default) expects a tower certificate, `server` the broker's. */
  purpose?: 'client' | 'server';
}

/**
 * Everything a broker would check, as data: chain to this directory's fleet CA, validity window,
 * the extended key usage for the purpose, and the registry status. `ok` only when all hold.
 */
export async function verifyCertificate(
  dir: string,
  pem: string | Uint8Array,
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  const now = opts.now ?? new Date();
  const purpose = opts.purpose ?? 'client';
  const cert = parseCertificate(pem);
  const ca = readCaCertificate(dir);
  const id = certificateId(new Uint8Array(cert.rawData));
  const cn = commonName(cert.subjectName) ?? null;
  const towerHint = cn ?? '<towerId>';
  const checks: VerifyCheck[] = [];
  const problems: string[] = [];
  const check = (name: VerifyCheck['name'], ok: boolean, detail: string, problem: string) => {
    checks.push({ name, ok, detail });
    if (!ok) problems.push(problem);
  };

  const sameIssuer = cert.issuer === ca.cert.subject;
  const signed = sameIssuer && (await cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }));
  check(
    'chain',
    signed,
    signed ? `issued by ${ca.cert.subject}` : `issuer ${cert.issuer} is not the fleet CA ${ca.cert.subject}`,
    `certificate was not issued by the fleet CA in ${ca.caPath} (issue one with certs-tool device issue ${towerHint})`,
  );

  // A chain is valid only while every certificate in it is: an expired CA fails every tower.
  const caNotYet = now < ca.cert.notBefore;
  const caExpired = now > ca.cert.notAfter;
  const outlives = cert.notAfter > ca.cert.notAfter;
  check(
    'caValidity',
    !caNotYet && !caExpired && !outlives,
    `CA ${ca.cert.notBefore.toISOString()} .. ${ca.cert.notAfter.toISOString()}`,
    caExpired
      ? `the fleet CA expired on ${ca.cert.notAfter.toISOString()} (create a new CA with certs-tool ca init and re-issue)`
      : caNotYet
        ? `the fleet CA is not valid before ${ca.cert.notBefore.toISOString()} (check the system clock)`
        : `certificate is valid until ${cert.notAfter.toISOString()}, after its CA expires on ${ca.cert.notAfter.toISOString()} (re-issue it with certs-tool rotate ${towerHint})`,
  );

  const notYet = now < cert.notBefore;
  const expired = now > cert.notAfter;
  check(
    'validity',
    !notYet && !expired,
    `${cert.notBefore.toISOString()} .. ${cert.notAfter.toISOString()}`,
    expired
      ? `certificate expired on ${cert.notAfter.toISOString()} (renew with certs-tool rotate ${towerHint})`
      : `certificate is not valid before ${cert.notBefore.toISOString()} (check the system clock)`,
  );

  const wanted = purpose === 'client' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth;
  const usages = cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String) ?? [];
  const hasUsage = usages.includes(wanted);
  const usageName = purpose === 'client' ? 'clientAuth' : 'serverAuth';
  check(
    'keyUsage',
    hasUsage,
    hasUsage ? `${usageName} present` : `${usageName} missing`,
    `certificate lacks the ${usageName} extended key usage (issue it with certs-tool ${purpose === 'client' ? 'device' : 'server'} issue)`,
  );

  const entry = Registry.load(certsLayout(dir).root).find(id);
  check(
    'registry',
    entry?.status === 'ACTIVE',
    entry ? `${entry.status} in the registry` : 'not in the registry',
    entry
      ? `certificate is ${entry.status} in the registry (issue a new one with certs-tool device issue ${towerHint})`
      : `certificate ${id.slice(0, 12)}… is not in ${certsLayout(dir).registryPath} (it was issued elsewhere; sign its CSR with certs-tool sign)`,
  );

  return {
    ok: problems.length === 0,
    certificateId: id,
    towerId: entry?.towerId ?? (isTowerId(cn) ? cn : null),
    checks,
    problems,
  };
}
