import { certificateId, commonName, parseCertificate, x509 } from './pki.js';
import type { CertificateInfo } from './types.js';

const EKU_NAMES = new Map<string, string>(
  Object.entries(x509.ExtendedKeyUsage).map(([name, oid]) => [oid, name]),
);

function keyAlgorithm(cert: x509.X509Certificate): string {
  const alg = cert.publicKey.algorithm as EcKeyAlgorithm & Partial<RsaHashedKeyAlgorithm>;
  if (alg.name === 'ECDSA' || alg.name === 'ECDH') return `EC ${alg.namedCurve}`;
  if (alg.modulusLength) return `RSA ${alg.modulusLength}`;
  return alg.name;
}

/** What `certs-tool inspect` shows: the fields an operator compares against AWS IoT and the registry. */
export function inspectCertificate(pem: string | Uint8Array): CertificateInfo {
  const cert = parseCertificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    commonName: commonName(cert.subjectName) ?? null,
    serial: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    keyAlgorithm: keyAlgorithm(cert),
    subjectAltNames: (san?.names.toJSON() ?? []).map(
      (n) => `${n.type === 'ip' ? 'IP' : n.type.toUpperCase()}:${n.value}`,
    ),
    extendedKeyUsage: (eku?.usages ?? []).map((u) => EKU_NAMES.get(String(u)) ?? String(u)),
    isCa: basic?.ca ?? false,
    certificateId: certificateId(new Uint8Array(cert.rawData)),
  };
}
