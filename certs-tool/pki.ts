// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { BadCertificateError, CertsToolError } from './errors.js';

// @peculiar/x509 signs through WebCrypto; node's implementation is the maintained one on Node 20.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export const EC_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** Issued certificates start this far in the past so a tower whose clock runs slightly behind still accepts them. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

export { x509 };

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function importPrivateKeyPem(pem: string, source: string): Promise<CryptoKey> {
  try {
    const der = x509.PemConverter.decodeFirst(pem);
    return (await webcrypto.subtle.importKey('pkcs8', der, EC_KEY_ALGORITHM, false, ['sign'])) as CryptoKey;
  } catch {
    throw new CertsToolError(
      `${source} is not a PKCS#8 EC P-256 private key`,
      'restore the key file or re-create the CA with certs-tool ca init in a new --dir',
    );
  }
}

function toDer(input: string | Uint8Array): Uint8Array<ArrayBuffer> {
  if (typeof input !== 'string') {
    const head = Buffer.from(input.subarray(0, 11)).toString('latin1');
    if (head !== '-----BEGIN ') return new Uint8Array(input);
    return toDer(Buffer.from(input).toString('utf8'));
  }
  const blocks = x509.PemConverter.decodeWithHeaders(input).filter((b) => b.type === 'CERTIFICATE');
  if (blocks.length === 0)
    throw new BadCertificateError('no PEM CERTIFICATE block found', 'pass a PEM certificate file');
  return new Uint8Array(blocks[0]!.rawData);
}

/** Parse the first certificate of a PEM string or a DER/PEM buffer; one clear error when it is not one. */
export function parseCertificate(input: string | Uint8Array, source = 'input'): x509.X509Certificate {
  try {
    return new x509.X509Certificate(toDer(input));
  } catch (e) {
    if (e instanceof CertsToolError) throw new BadCertificateError(`${source}: ${e.message}`);
    throw new BadCertificateError(
      `${source} is not an X.509 certificate`,
      'pass a PEM or DER certificate file',
    );
  }
}

/** The id AWS IoT gives a certificate: hex SHA-256 of its DER encoding. */
export function certificateId(pemOrDer: string | Uint8Array): string {
  return certificateIdOf(parseCertificate(pemOrDer));
}

/** `certificateId` of a certificate already parsed (a batch would otherwise parse each one twice). */
export function certificateIdOf(cert: x509.X509Certificate): string {
  return createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex');
}

export function commonName(name: x509.Name): string | undefined {
  return name.getField('CN')[0];
}

/** Serial numbers: 16 random bytes with the top bit cleared so the DER integer stays positive. */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}
