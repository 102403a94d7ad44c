import { randomUUID } from 'node:crypto';
import { readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Unrecorded } from './batch-plan.js';
import { CertsToolError, FileError } from './errors.js';
import { fileExists, KEY_FILE_MODE, PUBLIC_FILE_MODE } from './files.js';
import type { CertsLayout } from './layout.js';
import type { x509 } from './pki.js';
import { registryEntry } from './records.js';
import type { Registry } from './registry.js';

/** A tower's new key and certificate, made in memory. */
export interface MadeIdentity {
  towerId: string;
  keyPem: string;
  cert: x509.X509Certificate;
  certPem: string;
  certificateId: string;
}

export interface StagedTower extends MadeIdentity {
  /** hidden directory beside the tower's, holding its three files until one rename puts them in place */
  staging: string;
}

const STAGING_SUFFIX = '.batch.tmp';
/** Staging lives milliseconds to seconds (plus at most the 15 s lock wait); older is left by a dead run. */
const STALE_STAGING_MS = 10 * 60 * 1000;

/**
 * Writes a tower's files into a staging directory, outside the registry lock so other runs wait
 * less; asynchronously, so the writes overlap the signing of the next towers.
 */
export async function stageTower(
  layout: CertsLayout,
  made: MadeIdentity,
  caPem: string,
): Promise<StagedTower> {
  const staging = join(layout.devicesDir, `.${made.towerId}.${randomUUID().slice(0, 8)}${STAGING_SUFFIX}`);
  try {
    await mkdir(staging);
    await Promise.all([
      writeFile(join(staging, 'key.pem'), made.keyPem, { mode: KEY_FILE_MODE, flag: 'wx' }),
      writeFile(join(staging, 'ca.pem'), caPem, { mode: PUBLIC_FILE_MODE, flag: 'wx' }),
      writeFile(join(staging, 'cert.pem'), made.certPem, { mode: PUBLIC_FILE_MODE, flag: 'wx' }),
    ]);
  } catch (e) {
    discard([staging]);
    throw new FileError(
      `cannot write ${staging}: ${(e as Error).message}`,
      'check that the devices directory is writable and the disk has space',
    );
  }
  return { ...made, staging };
}

export function discard(stagings: readonly string[]): void {
  for (const s of stagings) rmSync(s, { recursive: true, force: true });
}

/** Removes staging directories a killed run left behind (a live run's are minutes younger). */
export function sweepStaleStaging(layout: CertsLayout, now = Date.now()): void {
  let names: string[];
  try {
    names = readdirSync(layout.devicesDir);
  } catch {
    return; // no devices directory yet: nothing left behind
  }
  for (const name of names) {
    if (!name.startsWith('.') || !name.endsWith(STAGING_SUFFIX)) continue;
    const path = join(layout.devicesDir, name);
    try {
      if (now - statSync(path).mtimeMs > STALE_STAGING_MS) discard([path]);
    } catch {
      // gone already (another run swept it)
    }
  }
}

export interface ChunkResult {
  issued: StagedTower[];
  /** towers another run issued while this one was signing */
  skipped: string[];
  /** set when a rename failed part-way: the towers before it are in `issued` and recorded */
  failure?: Error;
}

/**
 * Under the registry lock: puts each staged tower in place with one directory rename, then records
 * them all in one registry save. A tower is never half there: its directory appears whole or not at
 * all, and one written but not yet recorded (the process died between rename and save) is found by
 * the next batch and recorded then (batch-plan.ts).
 */
export function commitChunk(
  registry: Registry,
  layout: CertsLayout,
  staged: readonly StagedTower[],
  now: Date,
): ChunkResult {
  const current = registry.currentByTower();
  const result: ChunkResult = { issued: [], skipped: [] };
  const fresh = staged.filter((s) => {
    if (!current.has(s.towerId)) return true;
    result.skipped.push(s.towerId);
    discard([s.staging]);
    return false;
  });
  const appeared = fresh.find((s) => fileExists(layout.device(s.towerId).dir));
  if (appeared) {
    discard(fresh.map((s) => s.staging));
    throw new CertsToolError(
      `${layout.device(appeared.towerId).dir} appeared while this batch was signing`,
      'another certs-tool run is working on the same towers; let it finish, then run the batch again',
    );
  }
  for (const [i, s] of fresh.entries()) {
    try {
      renameSync(s.staging, layout.device(s.towerId).dir);
    } catch (e) {
      discard(fresh.slice(i).map((t) => t.staging));
      result.failure = new FileError(
        `cannot move ${s.staging} into place: ${(e as Error).message}`,
        'check the devices directory, then run the batch again to finish it',
      );
      break;
    }
    result.issued.push(s);
  }
  for (const s of result.issued)
    registry.upsert(
      deviceEntry(layout, s.towerId, s.cert, s.certificateId, layout.device(s.towerId).certPath, now),
    );
  return result;
}

/** Under the registry lock: records towers an interrupted batch wrote (unless a run recorded them since). */
export function recordUnrecorded(
  registry: Registry,
  layout: CertsLayout,
  unrecorded: readonly Unrecorded[],
  now: Date,
): void {
  const current = registry.currentByTower();
  for (const u of unrecorded)
    if (!current.has(u.towerId))
      registry.upsert(deviceEntry(layout, u.towerId, u.cert, u.certificateId, u.certPath, now));
}

function deviceEntry(
  layout: CertsLayout,
  towerId: string,
  cert: x509.X509Certificate,
  certificateId: string,
  certPath: string,
  now: Date,
) {
  return registryEntry({ root: layout.root, cert, certificateId, certPath, kind: 'device', towerId, now });
}
