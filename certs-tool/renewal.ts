import { CertsToolError } from './errors.js';
import { parseCertificate } from './pki.js';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

/** `30d`, `12h`, `90m`, `45s` → milliseconds (the units `step certificate needs-renewal` accepts). */
export function parseDuration(text: string): number {
  const m = /^(\d+)([dhms])$/.exec(text.trim());
  if (!m)
    throw new CertsToolError(
      `invalid duration ${JSON.stringify(text)}`,
      'use a number and a unit: 30d, 12h, 90m, 45s',
    );
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** True when the certificate expires within `withinMs` of `now` (or already has). */
export function needsRenewal(pem: string | Uint8Array, withinMs: number, now = new Date()): boolean {
  return parseCertificate(pem).notAfter.getTime() - now.getTime() <= withinMs;
}
