import { type LoadedCa, loadCa } from './ca.js';
import { CertsToolError } from './errors.js';
import { CLOCK_SKEW_MS, DAY_MS, generateKeyPair, randomSerial, SIGNING_ALGORITHM, x509 } from './pki.js';
import { DaysSchema } from './types.js';

export interface LeafParams {
  subject: string;
  publicKey: x509.PublicKeyType;
  days: number;
  now: Date;
  usage: x509.ExtendedKeyUsage;
  altNames?: x509.JsonGeneralNames;
}

export function validDays(days: number | undefined, fallback: number): number {
  const parsed = DaysSchema.safeParse(days ?? fallback);
  if (!parsed.success) throw new CertsToolError(`invalid --days ${days}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** Signs a leaf; it never outlives the CA (a chain is only valid while every certificate in it is). */
export async function signLeaf(ca: LoadedCa, p: LeafParams): Promise<x509.X509Certificate> {
  if (p.now >= ca.cert.notAfter) {
    throw new CertsToolError(
      `the fleet CA expired on ${ca.cert.notAfter.toISOString()}`,
      'create a new CA with certs-tool ca init (and register it) before issuing',
    );
  }
  const wanted = new Date(p.now.getTime() + p.days * DAY_MS);
  const notAfter = wanted > ca.cert.notAfter ? ca.cert.notAfter : wanted;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([p.usage], false),
    await x509.SubjectKeyIdentifierExtension.create(p.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (p.altNames) extensions.push(new x509.SubjectAlternativeNameExtension(p.altNames, false));
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: p.subject,
    issuer: ca.cert.subjectName,
    notBefore: new Date(p.now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    publicKey: p.publicKey,
    signingKey: ca.key,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
}

/**
 * The proof-of-possession certificate AWS IoT asks for when registering a CA: CN = the account's
 * registration code, signed by the CA. It is sent once and never stored.
 */
export async function signVerificationCertificate(dir: string, registrationCode: string): Promise<string> {
  const ca = await loadCa(dir);
  const keys = await generateKeyPair();
  const cert = await signLeaf(ca, {
    subject: `CN=${registrationCode}`,
    publicKey: keys.publicKey,
    days: 1,
    now: new Date(),
    usage: x509.ExtendedKeyUsage.clientAuth,
  });
  return `${cert.toString('pem')}\n`;
}
